// SPDX-License-Identifier: MIT
// --list output; the only translation unit of cctv-clip with Boost.JSON.
#include "list_report.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "cctv/json.hpp"

namespace cctv::clip {

namespace json = boost::json;

namespace {

double seconds(std::chrono::microseconds d) { return std::chrono::duration<double>(d).count(); }

WallTime clamp_to(WallTime t, std::optional<WallTime> from, std::optional<WallTime> to) {
  if (from && t < *from) t = *from;
  if (to && t > *to) t = *to;
  return t;
}

json::value time_or_null(std::optional<WallTime> t) {
  if (!t) return nullptr;
  return json::value(format_local(*t));
}

}  // namespace

std::string list_report(const Timeline& t, const std::string& pattern, std::optional<WallTime> from,
                        std::optional<WallTime> to, bool as_json) {
  if (as_json) {
    json::array spans, gaps;
    for (const Span& s : t.spans) {
      const WallTime a = clamp_to(s.start, from, to), b = clamp_to(s.end, from, to);
      json::array files;
      for (const FileInfo* f : s.files) {
        files.push_back(json::object{{"path", f->path.string()},
                                     {"start", format_local(f->start)},
                                     {"end", format_local(f->end)},
                                     {"size", f->size}});
      }
      spans.push_back(json::object{{"start", format_local(a)},
                                   {"end", format_local(b)},
                                   {"duration", std::round(seconds(b - a) * 1000) / 1000},
                                   {"files", std::move(files)}});
    }
    for (const Gap& g : t.gaps) {
      const WallTime a = clamp_to(g.start, from, to), b = clamp_to(g.end, from, to);
      if (b <= a) continue;
      gaps.push_back(json::object{{"start", format_local(a)}, {"end", format_local(b)},
                                  {"duration", std::round(seconds(b - a) * 1000) / 1000}});
    }
    json::object doc{{"tool", "cctv-clip"}, {"version", CCTV_VERSION}, {"pattern", pattern},
                      {"from", time_or_null(from)}, {"to", time_or_null(to)},
                      {"spans", std::move(spans)}, {"gaps", std::move(gaps)}};
    return to_json(doc) + "\n";
  }
  std::string out;
  size_t g = 0;
  for (size_t i = 0; i < t.spans.size(); ++i) {
    const Span& s = t.spans[i];
    const WallTime a = clamp_to(s.start, from, to), b = clamp_to(s.end, from, to);
    out += fmt::format("{}  {}  {:>12}  {} file{}\n", format_local(a), format_local(b), format_duration(b - a),
                       s.files.size(), s.files.size() == 1 ? "" : "s");
    if (g < t.gaps.size() && i + 1 < t.spans.size()) {
      const Gap& gap = t.gaps[g++];
      const WallTime ga = clamp_to(gap.start, from, to), gb = clamp_to(gap.end, from, to);
      if (gb > ga) out += fmt::format("gap  {}  {}  {:>12}\n", format_local(ga), format_local(gb), format_duration(gb - ga));
    }
  }
  return out;
}

}  // namespace cctv::clip
