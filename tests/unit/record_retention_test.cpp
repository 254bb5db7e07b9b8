// SPDX-License-Identifier: MIT
// Tests for cctv-record's retention plan, pattern matching and option units.
#include "retention.hpp"
#include "units.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv::record;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::file_time_type kNow = fs::file_time_type::clock::now();

SegmentFile seg(const std::string& name, std::uint64_t size, std::chrono::hours age) {
  return {fs::path("/r") / name, size, kNow - age};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record_retention)

BOOST_AUTO_TEST_CASE(pattern_matches_its_own_names_only) {
  const PatternMatcher m("/var/lib/cctv/front/%Y-%m-%d/%H-%M-%S.mp4");
  BOOST_TEST(m.root() == fs::path("/var/lib/cctv/front"));
  BOOST_TEST(m.matches("/var/lib/cctv/front/2024-05-01/12-00-00.mp4"));
  BOOST_TEST(m.matches("/var/lib/cctv/front/2024-05-01/12-00-00-2.mp4"));  // collision suffix
  BOOST_TEST(!m.matches("/var/lib/cctv/front/2024-05-01/12-00-00.mp4.bak"));
  BOOST_TEST(!m.matches("/var/lib/cctv/front/2024-05-01/notes.txt"));
  BOOST_TEST(!m.matches("/var/lib/cctv/front/12-00-00.mp4"));
  BOOST_TEST(!m.matches("/var/lib/cctv/back/2024-05-01/12-00-00.mp4"));
}

BOOST_AUTO_TEST_CASE(keep_deletes_files_older_than_the_limit) {
  RetentionLimits l;
  l.keep = 24h;
  const auto plan = plan_deletions({seg("c", 1, 1h), seg("a", 1, 72h), seg("b", 1, 48h)}, {}, l, kNow, {});
  BOOST_TEST(plan == (std::vector<fs::path>{"/r/a", "/r/b"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(max_size_deletes_the_oldest_until_the_total_fits_never_the_current) {
  RetentionLimits l;
  l.max_size = 10;
  const std::vector<SegmentFile> files{seg("old", 4, 9h), seg("mid", 4, 5h), seg("new", 4, 1h), seg("cur", 4, 0h)};
  const auto plan = plan_deletions(files, "/r/cur", l, kNow, {});
  BOOST_TEST(plan == (std::vector<fs::path>{"/r/old", "/r/mid"}), boost::test_tools::per_element());
  l.max_size = 1;
  BOOST_TEST(plan_deletions(files, "/r/cur", l, kNow, {}).size() == 3u);  // everything but the current
}

BOOST_AUTO_TEST_CASE(min_free_deletes_the_oldest_until_enough_is_free) {
  RetentionLimits l;
  l.min_free = 30;
  const std::vector<SegmentFile> files{seg("a", 10, 9h), seg("b", 10, 5h), seg("c", 10, 1h)};
  const auto plan = plan_deletions(files, {}, l, kNow, FsSpace{100, 12});
  BOOST_TEST(plan == (std::vector<fs::path>{"/r/a", "/r/b"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_limit_deletes_nothing_unless_the_disk_is_full) {
  const std::vector<SegmentFile> files{seg("a", 10, 9h), seg("b", 10, 5h)};
  BOOST_TEST(plan_deletions(files, {}, {}, kNow, FsSpace{100, 0}).empty());
  BOOST_TEST(plan_deletions(files, {}, {}, kNow, FsSpace{100, 0}, true) == std::vector<fs::path>{"/r/a"});
  BOOST_TEST(plan_deletions(files, "/r/a", {}, kNow, {}, true) == std::vector<fs::path>{"/r/b"});
}

BOOST_AUTO_TEST_CASE(durations_sizes_and_percentages_parse) {
  BOOST_TEST(parse_duration("90")->count() == 90);
  BOOST_TEST(parse_duration("10m")->count() == 600);
  BOOST_TEST(parse_duration("7d")->count() == 7 * 86400);
  BOOST_TEST(parse_duration("1h30m")->count() == 5400);
  BOOST_TEST(!parse_duration("0").has_value());
  BOOST_TEST(!parse_duration("soon").has_value());
  BOOST_TEST(!parse_duration("1h30").has_value());
  BOOST_TEST(*parse_size("50G") == 50ULL << 30);
  BOOST_TEST(*parse_size("500MiB") == 500ULL << 20);
  BOOST_TEST(*parse_size("1234") == 1234u);
  BOOST_TEST(!parse_size("12Q").has_value());
  BOOST_TEST(*parse_percent("10%") == 10.0);
  BOOST_TEST(!parse_percent("150").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
