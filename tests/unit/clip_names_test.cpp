// SPDX-License-Identifier: MIT
// Tests for cctv-clip's reading of recording names: which files are the pattern's and when they start.
#include "names.hpp"
#include "index.hpp"

#include <cstdlib>
#include <ctime>
#include <optional>

#include <boost/test/unit_test.hpp>

#include "scoped_tz.hpp"

using namespace cctv;
using namespace cctv::clip;
using namespace std::chrono;
namespace fs = std::filesystem;

using cctv::test::ScopedTz;

namespace {

WallTime utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return WallTime(sys_days(year{y} / month{mo} / day{d}) + hours{h} + minutes{mi} + seconds{s});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(clip_names)

BOOST_AUTO_TEST_CASE(reads_the_start_from_a_local_time_name) {
  ScopedTz tz("Europe/Berlin");
  const NamePattern p("/srv/cctv/front/%Y-%m-%d/%H-%M-%S.mp4");
  BOOST_TEST(p.root() == fs::path("/srv/cctv/front"));
  BOOST_TEST(p.has_time());
  const auto f = p.match("/srv/cctv/front/2026-12-06/10-03-12.mp4");
  BOOST_REQUIRE(f);
  BOOST_TEST((*f->earliest == utc(2026, 12, 6, 9, 3, 12)));
  BOOST_TEST((*f->latest == utc(2026, 12, 6, 9, 3, 12)));
  BOOST_TEST(p.match("/srv/cctv/front/2026-12-06/10-03-12-2.mp4").has_value());  // the recorder's suffix for a taken name
  BOOST_TEST(!p.match("/srv/cctv/front/2026-12-06/notes.txt").has_value());
  BOOST_TEST(!p.match("/srv/cctv/front/2026-12-06/10-03-12.mkv").has_value());
}

BOOST_AUTO_TEST_CASE(a_name_in_the_repeated_hour_has_two_readings) {
  ScopedTz tz("Europe/Berlin");
  const NamePattern p("/r/%F/%H%M%S.mkv");
  const auto f = p.match("/r/2026-10-25/023000.mkv");
  BOOST_REQUIRE(f);
  BOOST_TEST((*f->earliest == utc(2026, 10, 25, 0, 30, 0)));
  BOOST_TEST((*f->latest == utc(2026, 10, 25, 1, 30, 0)));
}

BOOST_AUTO_TEST_CASE(an_offset_or_epoch_in_the_name_is_exact) {
  ScopedTz tz("Europe/Berlin");
  const auto f = NamePattern("/r/%Y%m%dT%H%M%S%z.mp4").match("/r/20261025T023000+0100.mp4");
  BOOST_REQUIRE(f);
  BOOST_TEST((*f->earliest == utc(2026, 10, 25, 1, 30, 0)));
  BOOST_TEST((*f->latest == *f->earliest));
  const auto e = NamePattern("/r/{name}-%s.ts").match("/r/{name}-1796000000.ts");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->earliest->time_since_epoch().count() == 1796000000LL * 1000000);
}

BOOST_AUTO_TEST_CASE(a_pattern_without_date_matches_files_without_time) {
  const NamePattern p("/r/cam-%N.mp4");
  BOOST_TEST(!p.has_time());
  const auto f = p.match("/r/cam-12.mp4");
  BOOST_REQUIRE(f);
  BOOST_TEST(!f->earliest.has_value());
}

BOOST_AUTO_TEST_CASE(files_within_the_tolerance_make_one_span_and_farther_ones_a_gap) {
  const auto at = [](int s, int ms = 0) { return utc(2026, 12, 6, 10, 0, s) + milliseconds(ms); };
  std::vector<FileInfo> files(3);
  files[0].start = at(0), files[0].end = at(4, 20);   // overlaps the next by 20 ms: jitter
  files[1].start = at(4), files[1].end = at(8);
  files[2].start = at(20), files[2].end = at(24);     // 12 s later: an outage
  const Timeline t = build_timeline(files);
  BOOST_REQUIRE(t.spans.size() == 2u);
  BOOST_TEST(t.spans[0].files.size() == 2u);
  BOOST_REQUIRE(t.gaps.size() == 1u);
  BOOST_TEST((t.gaps[0].start == at(8)));
  BOOST_TEST((t.gaps[0].end == at(20)));
}

BOOST_AUTO_TEST_SUITE_END()
