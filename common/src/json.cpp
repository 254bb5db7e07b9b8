// SPDX-License-Identifier: MIT
#include "cctv/json.hpp"

#include <cmath>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace cctv {

namespace {

void write(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(kv.key());
        out += ':';
        write(kv.value(), out);
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(e, out);
      }
      out += ']';
      return;
    }
    case boost::json::kind::double_: {
      const double d = v.get_double();
      // fmt's "{}" is the shortest text that reads back as the same double.
      out += std::isfinite(d) ? fmt::format("{}", d) : std::string("null");
      return;
    }
    default:  // strings, integers, booleans and null as Boost.JSON writes them
      out += boost::json::serialize(v);
  }
}

}  // namespace

std::string to_json(const boost::json::value& v) {
  std::string out;
  write(v, out);
  return out;
}

}  // namespace cctv
