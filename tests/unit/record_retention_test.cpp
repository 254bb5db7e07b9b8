// SPDX-License-Identifier: MIT
// Tests for cctv-record's retention plan, pattern matching and option units.
#include "retention.hpp"
#include "units.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>

#include <boost/test/unit_test.hpp>

#include "scoped_tz.hpp"

#include "cctv/output.hpp"

using namespace cctv::record;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using cctv::test::ScopedTz;

namespace {

const fs::file_time_type kNow = fs::file_time_type::clock::now();

SegmentFile seg(const std::string& name, std::uint64_t size, std::chrono::hours age) {
  return {fs::path("/r") / name, size, kNow - age};
}

// `name` with the recorder's collision suffix before the extension.
std::string with_suffix(const std::string& name, int n) {
  const fs::path p(name);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(n) + p.extension().string())).string();
}

struct TmpDir {
  fs::path path = fs::temp_directory_path() / ("cctv-retention-test-" + std::to_string(::getpid()));
  TmpDir() { fs::create_directories(path); }
  ~TmpDir() { fs::remove_all(path); }
};

void make_file(const fs::path& p, std::chrono::hours age) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
  fs::last_write_time(p, kNow - age);
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

BOOST_AUTO_TEST_CASE(every_name_the_recorder_makes_matches_its_pattern) {
  const ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");  // %Z: CET and CEST, %z: +0100 and +0200
  const std::vector<std::string> patterns{
      "/r/cam-%a-%H%M%S.mkv",
      "/r/%Y/%m/%d/%H-%M-%S.mp4",
      "/r/a.b-%H%M%S.mkv",                 // {name} "a.b": the dot is literal
      "/r/{x}(1)+[y]-%F_%T.ts",            // regex characters in the literal parts
      "/r/cam %e %b %B %A %j %p %I %l %k.mp4",
      "/r/%s-%4N.mp4",
      "/r/%c.mkv",
      "/r/%-d-%_H-%^a-%#b-%3e.mkv",
      "/r/%z-%Z/%D-%R.mp4",
      "/r/%G-W%V-%u-%w-%U-%W-%y-%C-%g-%%.mkv",
      "/r/%x %X %r-%h.mkv",
  };
  for (const auto& pattern : patterns) {
    const PatternMatcher m(pattern);
    BOOST_TEST_CONTEXT(pattern) {
      BOOST_TEST(m.recognises_names());
      // Every 37 h 13 min 7 s over a year (every weekday, month, hour; DST both ways).
      const auto start = std::chrono::system_clock::from_time_t(1'700'000'000);
      long seq = 1;
      for (auto t = start; t < start + 8760h; t += 37h + 13min + 7s, seq = (seq * 3 + 1) % 1'000'000'007) {
        const std::string name = cctv::expand_pattern(pattern, t, seq);
        BOOST_TEST(m.matches(name), name);
        BOOST_TEST(m.matches(with_suffix(name, 2)), name);
        BOOST_TEST(m.matches(with_suffix(name, 999)), name);
      }
    }
  }
  const ScopedTz india("<+0530>-5:30");  // a zone without a name: %Z is "+0530"
  const PatternMatcher m("/r/%Z-%H.mkv");
  BOOST_TEST(m.matches(cctv::expand_pattern("/r/%Z-%H.mkv", std::chrono::system_clock::now(), 1)));
}

BOOST_AUTO_TEST_CASE(names_that_differ_in_one_way_do_not_match) {
  const PatternMatcher day("/r/cam-%a-%H%M%S.mkv");
  BOOST_TEST(day.matches("/r/cam-Mon-120000.mkv"));
  BOOST_TEST(day.matches("/r/cam-Mon-120000-2.mkv"));
  BOOST_TEST(day.matches("/r/cam-Sun-235960-999.mkv"));  // a leap second
  BOOST_TEST(!day.matches("/r/cam-my-wedding-video-120000.mkv"));  // issue: deleted by "[^/]+"
  BOOST_TEST(!day.matches("/r/cam-Mox-120000.mkv"));        // not a day
  BOOST_TEST(!day.matches("/r/cam-Monday-120000.mkv"));     // %A, not %a
  BOOST_TEST(!day.matches("/r/cam-mon-120000.mkv"));        // case
  BOOST_TEST(!day.matches("/r/cam-Mon-1200000.mkv"));       // width
  BOOST_TEST(!day.matches("/r/cam-Mon-12000.mkv"));
  BOOST_TEST(!day.matches("/r/cam-Mon-250000.mkv"));        // no hour 25
  BOOST_TEST(!day.matches("/r/cam-Mon-120000.mp4"));        // extension
  BOOST_TEST(!day.matches("/r/cam-Mon-120000.mkv.bak"));
  BOOST_TEST(!day.matches("/r/cat-Mon-120000.mkv"));        // literal
  BOOST_TEST(!day.matches("/r/cam-Mon-120000-1.mkv"));      // suffixes start at 2
  BOOST_TEST(!day.matches("/r/cam-Mon-120000-02.mkv"));
  BOOST_TEST(!day.matches("/r/cam-Mon-120000-1000.mkv"));   // and end at 999
  BOOST_TEST(!day.matches("/r/sub/cam-Mon-120000.mkv"));    // another folder

  const PatternMatcher name("/r/a.b-%H%M%S.mkv");  // {name} "a.b"
  BOOST_TEST(name.matches("/r/a.b-000000.mkv"));
  BOOST_TEST(!name.matches("/r/a.b-0000001.mkv"));  // issue: seven digits
  BOOST_TEST(!name.matches("/r/axb-000000.mkv"));   // '.' is no wildcard

  const PatternMatcher braces("/r/{x}-%H.mkv");
  BOOST_TEST(braces.matches("/r/{x}-12.mkv"));
  BOOST_TEST(!braces.matches("/r/x-12.mkv"));
  BOOST_TEST(!braces.matches("/r/{x}-1.mkv"));

  const PatternMatcher spaced("/r/%e-%j-%y.ts");
  BOOST_TEST(spaced.matches("/r/ 1-001-24.ts"));
  BOOST_TEST(spaced.matches("/r/31-366-99.ts"));
  BOOST_TEST(!spaced.matches("/r/01-001-24.ts"));   // %e pads with a space
  BOOST_TEST(!spaced.matches("/r/ 1-1-24.ts"));
  BOOST_TEST(!spaced.matches("/r/ 1-367-24.ts"));
  BOOST_TEST(!spaced.matches("/r/ 1-001-2024.ts"));

  const PatternMatcher zone("/r/%z.ts");
  BOOST_TEST(zone.matches("/r/+0100.ts"));
  BOOST_TEST(!zone.matches("/r/+01.ts"));
  BOOST_TEST(!zone.matches("/r/0100.ts"));

  const PatternMatcher seq("/r/shot-%4N.mp4");
  BOOST_TEST(seq.matches("/r/shot-0007.mp4"));
  BOOST_TEST(seq.matches("/r/shot-12345.mp4"));  // a sequence wider than its padding
  BOOST_TEST(!seq.matches("/r/shot-7.mp4"));
  BOOST_TEST(!seq.matches("/r/shot-00000000000000000001.mp4"));
}

BOOST_AUTO_TEST_CASE(a_conversion_it_does_not_know_matches_nothing) {
  for (const char* pattern : {"/r/cam-%Q-%H.mkv", "/r/%EY-%H.mkv", "/r/%-F-%H.mkv", "/r/%H.mkv%", "/r/%99N.mkv"}) {
    const PatternMatcher m(pattern);
    BOOST_TEST(!m.recognises_names(), pattern);
    BOOST_TEST(!m.matches(cctv::expand_pattern(pattern, std::chrono::system_clock::now(), 1)), pattern);
  }
}

BOOST_AUTO_TEST_CASE(retention_deletes_old_segments_but_never_a_link_or_its_target) {
  TmpDir d;
  const fs::path root = d.path / "cam";
  make_file(root / "cam-120000.mkv", 100h);
  make_file(root / "cam-120001.mkv", 1h);
  make_file(d.path / "outside.mkv", 100h);
  fs::create_symlink(d.path / "outside.mkv", root / "cam-120002.mkv");
  fs::create_directories(d.path / "elsewhere");
  make_file(d.path / "elsewhere/cam-120003.mkv", 100h);
  fs::create_directory_symlink(d.path / "elsewhere", root / "12");  // a folder the pattern below would name
  RetentionLimits l;
  l.keep = 10h;
  const auto r = apply_retention(PatternMatcher((root / "cam-%H%M%S.mkv").string()), {}, l);
  BOOST_TEST(r.files == 1);
  BOOST_TEST(!fs::exists(root / "cam-120000.mkv"));
  BOOST_TEST(fs::exists(root / "cam-120001.mkv"));
  BOOST_TEST(fs::is_symlink(root / "cam-120002.mkv"));
  BOOST_TEST(fs::exists(d.path / "outside.mkv"));
  // Below a folder field, a linked folder is not followed.
  const PatternMatcher by_hour((root / "%H/cam-%H%M%S.mkv").string());
  BOOST_TEST(by_hour.matches(root / "12/cam-120003.mkv"));
  BOOST_TEST(apply_retention(by_hour, {}, l).files == 0);
  BOOST_TEST(fs::exists(d.path / "elsewhere/cam-120003.mkv"));
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
