// SPDX-License-Identifier: MIT
// Tests for to_json, the JSON text of probe reports and /healthz.
#include "cctv/json.hpp"

#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace cctv;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(json_text)

BOOST_AUTO_TEST_CASE(doubles_are_written_the_short_way_people_read) {
  BOOST_TEST(to_json(json::value(25.0)) == "25");
  BOOST_TEST(to_json(json::value(29.97)) == "29.97");
  BOOST_TEST(to_json(json::value(0.04)) == "0.04");
  BOOST_TEST(to_json(json::value(-1.5)) == "-1.5");
  BOOST_TEST(json::serialize(json::value(25.0)) == "2.5E1");  // why to_json exists (Boost 1.81)
}

BOOST_AUTO_TEST_CASE(nan_and_infinity_become_null) {
  BOOST_TEST(to_json(json::value(std::nan(""))) == "null");
  BOOST_TEST(to_json(json::value(std::numeric_limits<double>::infinity())) == "null");
}

BOOST_AUTO_TEST_CASE(objects_arrays_strings_and_integers_are_as_boost_writes_them) {
  const json::value v = {{"name", "front \"door\"\n"}, {"n", 7}, {"big", 18446744073709551615ull},
                         {"ok", true}, {"none", nullptr}, {"list", json::array{1, "a", json::object{}}}};
  BOOST_TEST(to_json(v) == json::serialize(v));
}

BOOST_AUTO_TEST_CASE(the_text_reads_back_as_the_same_numbers) {
  for (double d : {25.0, 29.97, 1e-7, 1e21, 123456.789, 0.1 + 0.2}) {
    BOOST_TEST_CONTEXT(d) {
      const json::value back = json::parse(to_json(json::value(d)));
      BOOST_TEST(back.to_number<double>() == d);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
