// SPDX-License-Identifier: MIT
// Tests for cctv-record --playlist's pure parts: cutting marks into HLS segments, days, URIs.
#include "playlist.hpp"

#include <cstdlib>
#include <string>

#include <boost/test/unit_test.hpp>

using namespace cctv::record;
using namespace std::chrono_literals;

namespace {

std::vector<HlsSegment> cut(const std::vector<Mark>& marks, std::int64_t end, double end_time) {
  SegmentCutter c;
  std::vector<HlsSegment> out;
  for (const auto& m : marks) c.mark(m, out);
  c.finish(end, end_time, out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record_playlist)

BOOST_AUTO_TEST_CASE(one_segment_per_gop_from_keyframe_mark_to_keyframe_mark) {
  // Fragments every second, a keyframe every two.
  const auto s = cut({{100, 0, true}, {200, 1, false}, {300, 2, true}, {400, 3, false}, {500, 4, true}}, 650, 5.5);
  BOOST_REQUIRE_EQUAL(s.size(), 3u);
  BOOST_TEST(s[0].offset == 100);
  BOOST_TEST(s[0].size == 200);
  BOOST_TEST(s[0].duration == 2.0);
  BOOST_TEST(s[1].offset == 300);
  BOOST_TEST(s[2].offset == 500);
  BOOST_TEST(s[2].size == 150);
  BOOST_TEST(s[2].duration == 1.5);
}

BOOST_AUTO_TEST_CASE(a_gop_longer_than_the_split_is_cut_at_a_fragment_below_the_target) {
  std::vector<Mark> marks;
  for (int i = 0; i <= 20; ++i) marks.push_back({i * 100, static_cast<double>(i), i % 20 == 0});
  const auto s = cut(marks, 2100, 21);
  double longest = 0;
  for (const auto& seg : s) longest = std::max(longest, seg.duration);
  BOOST_TEST(longest < kTargetDuration);
  BOOST_TEST(s.size() == 4u);  // 0-8, 8-16, 16-20 (keyframe), 20-21
}

BOOST_AUTO_TEST_CASE(nothing_is_listed_past_the_end_of_the_complete_data) {
  const auto s = cut({{100, 0, true}, {300, 2, true}}, 300, 2.0);
  BOOST_REQUIRE_EQUAL(s.size(), 1u);
  BOOST_TEST(s[0].offset + s[0].size == 300);
}

BOOST_AUTO_TEST_CASE(short_days_are_periods_since_local_midnight_named_by_their_start) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  const auto t = WallClock::from_time_t(1'796'637'625);  // 2026-12-07T10:00:25Z
  const Day d = day_of(t, 10s);
  BOOST_TEST(d.name == "2026-12-07T10-00-20");
  BOOST_TEST((d.end - d.start == 10s));
  const Day full = day_of(t, 24h);
  BOOST_TEST(full.name == "2026-12-07");
  BOOST_TEST((full.end - full.start == 24h));
  if (old != nullptr) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
}

BOOST_AUTO_TEST_CASE(uris_escape_what_a_path_may_not_hold) {
  BOOST_TEST(uri_escape("front door/10-00-00.mp4") == "front%20door/10-00-00.mp4");
  BOOST_TEST(uri_escape("a%b\"c") == "a%25b%22c");
}

BOOST_AUTO_TEST_SUITE_END()
