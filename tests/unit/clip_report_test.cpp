// SPDX-License-Identifier: MIT
// Tests for cctv-clip's --list output: spans, gaps, trimming to the range, JSON shape.
#include "list_report.hpp"

#include <cstdlib>
#include <ctime>
#include <optional>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace cctv;
using namespace cctv::clip;
using namespace std::chrono;
namespace json = boost::json;

namespace {

WallTime at(int s) { return WallTime(sys_days(year{2026} / December / 6) + hours{9} + seconds{s}); }

class ScopedUtc {
 public:
  ScopedUtc() {
    if (const char* tz = std::getenv("TZ")) old_ = tz;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  ~ScopedUtc() {
    if (old_) ::setenv("TZ", old_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
  ScopedUtc(const ScopedUtc&) = delete;
  ScopedUtc& operator=(const ScopedUtc&) = delete;

 private:
  std::optional<std::string> old_;
};

// Two files back to back, then an outage of 12 s, then a third.
std::vector<FileInfo> files() {
  std::vector<FileInfo> f(3);
  f[0].path = "/r/a.mp4", f[0].start = at(0), f[0].end = at(4), f[0].size = 10;
  f[1].path = "/r/b.mp4", f[1].start = at(4), f[1].end = at(8), f[1].size = 20;
  f[2].path = "/r/c.mp4", f[2].start = at(20), f[2].end = at(24), f[2].size = 30;
  return f;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(clip_report)

BOOST_AUTO_TEST_CASE(json_lists_spans_with_their_files_and_the_gaps) {
  ScopedUtc utc;
  const auto f = files();
  const Timeline t = build_timeline(f);
  const json::value v = json::parse(list_report(t, "/r/%F.mp4", std::nullopt, std::nullopt, true));
  BOOST_TEST(v.at("tool").as_string() == "cctv-clip");
  BOOST_TEST(v.at("from").is_null());
  const auto& spans = v.at("spans").as_array();
  BOOST_REQUIRE(spans.size() == 2u);
  BOOST_TEST(spans[0].at("start").as_string() == "2026-12-06T09:00:00.000+00:00");
  BOOST_TEST(spans[0].at("duration").to_number<double>() == 8.0);
  BOOST_TEST(spans[0].at("files").as_array().size() == 2u);
  BOOST_TEST(spans[0].at("files").at(1).at("path").as_string() == "/r/b.mp4");
  BOOST_TEST(spans[0].at("files").at(1).at("size").to_number<int>() == 20);
  const auto& gaps = v.at("gaps").as_array();
  BOOST_REQUIRE(gaps.size() == 1u);
  BOOST_TEST(gaps[0].at("start").as_string() == "2026-12-06T09:00:08.000+00:00");
  BOOST_TEST(gaps[0].at("duration").to_number<double>() == 12.0);
}

BOOST_AUTO_TEST_CASE(spans_are_trimmed_to_the_range_but_files_are_not) {
  ScopedUtc utc;
  const auto f = files();
  const Timeline t = build_timeline(f);
  const json::value v = json::parse(list_report(t, "p", at(2), at(22), true));
  const auto& span = v.at("spans").at(0);
  BOOST_TEST(span.at("start").as_string() == "2026-12-06T09:00:02.000+00:00");
  BOOST_TEST(span.at("files").at(0).at("start").as_string() == "2026-12-06T09:00:00.000+00:00");
  BOOST_TEST(v.at("spans").at(1).at("end").as_string() == "2026-12-06T09:00:22.000+00:00");
}

BOOST_AUTO_TEST_CASE(text_has_a_line_per_span_and_per_gap) {
  ScopedUtc utc;
  const auto f = files();
  const std::string text = list_report(build_timeline(f), "p", std::nullopt, std::nullopt, false);
  BOOST_TEST(text ==
             "2026-12-06T09:00:00.000+00:00  2026-12-06T09:00:08.000+00:00      0:08.000  2 files\n"
             "gap  2026-12-06T09:00:08.000+00:00  2026-12-06T09:00:20.000+00:00      0:12.000\n"
             "2026-12-06T09:00:20.000+00:00  2026-12-06T09:00:24.000+00:00      0:04.000  1 file\n");
}

BOOST_AUTO_TEST_SUITE_END()
