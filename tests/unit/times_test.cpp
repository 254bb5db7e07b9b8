// SPDX-License-Identifier: MIT
// Tests for time parsing and printing: ISO 8601, today, relative, and DST's ambiguous and skipped hours.
#include "cctv/times.hpp"

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>

#include "scoped_tz.hpp"

using namespace cctv;
using namespace std::chrono;

using cctv::test::ScopedTz;

namespace {

WallTime utc(int y, unsigned mo, unsigned d, int h, int mi, int s, long us = 0) {
  return WallTime(sys_days(year{y} / month{mo} / day{d}) + hours{h} + minutes{mi} + seconds{s}) + microseconds{us};
}

const WallTime kNow = utc(2026, 12, 6, 11, 0, 0);

}  // namespace

BOOST_AUTO_TEST_SUITE(times)

BOOST_AUTO_TEST_CASE(reads_iso_8601_with_an_offset_as_that_instant) {
  ScopedTz tz("Europe/Berlin");
  BOOST_TEST((*parse_time("2026-12-06T10:03:12Z", kNow) == utc(2026, 12, 6, 10, 3, 12)));
  BOOST_TEST((*parse_time("2026-12-06T10:03:12+01:00", kNow) == utc(2026, 12, 6, 9, 3, 12)));
  BOOST_TEST((*parse_time("2026-12-06T10:03:12-0530", kNow) == utc(2026, 12, 6, 15, 33, 12)));
  BOOST_TEST((*parse_time("2026-12-06T10:03:12.25Z", kNow) == utc(2026, 12, 6, 10, 3, 12, 250000)));
  BOOST_TEST((*parse_time("2026-12-06 10:03Z", kNow) == utc(2026, 12, 6, 10, 3, 0)));
}

BOOST_AUTO_TEST_CASE(reads_a_time_without_offset_in_tz) {
  ScopedTz tz("Europe/Berlin");
  BOOST_TEST((*parse_time("2026-12-06T10:03:12", kNow) == utc(2026, 12, 6, 9, 3, 12)));   // CET
  BOOST_TEST((*parse_time("2026-07-01T10:00:00", kNow) == utc(2026, 7, 1, 8, 0, 0)));     // CEST
}

BOOST_AUTO_TEST_CASE(reads_a_time_of_today_and_relative_times) {
  ScopedTz tz("Europe/Berlin");
  BOOST_TEST((*parse_time("10:03:12", kNow) == utc(2026, 12, 6, 9, 3, 12)));
  BOOST_TEST((*parse_time("10:03", kNow) == utc(2026, 12, 6, 9, 3, 0)));
  BOOST_TEST((*parse_time("-10m", kNow) == kNow - minutes(10)));
  BOOST_TEST((*parse_time("-1h30m", kNow) == kNow - minutes(90)));
  BOOST_TEST((*parse_time("now", kNow) == kNow));
}

BOOST_AUTO_TEST_CASE(ambiguous_local_time_at_fall_back_is_a_usage_error_naming_both_readings) {
  ScopedTz tz("Europe/Berlin");
  auto r = parse_time("2026-10-25T02:30:00", kNow);
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_int(r.error().code) == 2);
  BOOST_TEST(r.error().message.find("ambiguous") != std::string::npos, r.error().message);
  BOOST_TEST(r.error().message.find("2026-10-25T02:30:00+02:00") != std::string::npos, r.error().message);
  BOOST_TEST(r.error().message.find("2026-10-25T02:30:00+01:00") != std::string::npos, r.error().message);
  // With an offset each reading is fine, an hour apart.
  BOOST_TEST((*parse_time("2026-10-25T02:30:00+02:00", kNow) == utc(2026, 10, 25, 0, 30, 0)));
  BOOST_TEST((*parse_time("2026-10-25T02:30:00+01:00", kNow) == utc(2026, 10, 25, 1, 30, 0)));
  // Just outside the repeated hour there is one reading.
  BOOST_TEST((*parse_time("2026-10-25T03:00:00", kNow) == utc(2026, 10, 25, 2, 0, 0)));
  BOOST_TEST((*parse_time("2026-10-25T01:59:59", kNow) == utc(2026, 10, 24, 23, 59, 59)));
}

BOOST_AUTO_TEST_CASE(skipped_local_time_at_spring_forward_is_a_usage_error_naming_both_readings) {
  ScopedTz tz("Europe/Berlin");
  auto r = parse_time("2026-03-29T02:30:00", kNow);
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_int(r.error().code) == 2);
  BOOST_TEST(r.error().message.find("does not exist") != std::string::npos, r.error().message);
  BOOST_TEST(r.error().message.find("+01:00") != std::string::npos, r.error().message);
  BOOST_TEST(r.error().message.find("+02:00") != std::string::npos, r.error().message);
  BOOST_TEST((*parse_time("2026-03-29T03:00:00", kNow) == utc(2026, 3, 29, 1, 0, 0)));
}

BOOST_AUTO_TEST_CASE(local_readings_counts_one_two_or_none) {
  ScopedTz tz("Europe/Berlin");
  const auto civil = [](int mo, int d, int h, int mi) {
    return sys_days(year{2026} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)}) + hours{h} + minutes{mi};
  };
  BOOST_TEST(local_readings(civil(12, 6, 10, 0)).size() == 1u);
  BOOST_TEST(local_readings(civil(10, 25, 2, 30)).size() == 2u);
  BOOST_TEST(local_readings(civil(3, 29, 2, 30)).size() == 0u);
  ScopedTz utc_zone("UTC");
  BOOST_TEST(local_readings(civil(10, 25, 2, 30)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_a_time) {
  ScopedTz tz("UTC");
  for (const char* bad : {"", "yesterday", "2026-13-01T00:00:00", "2026-02-30T00:00:00", "25:00", "10:61",
                          "2026-12-06T10:03:12+25:00", "2026-12-06", "-10x", "-", "2026-12-06T10:03:12Zjunk"}) {
    auto r = parse_time(bad, kNow);
    BOOST_TEST(!r.has_value(), bad);
    if (!r) BOOST_TEST(to_int(r.error().code) == 2);
  }
}

BOOST_AUTO_TEST_CASE(parses_durations) {
  BOOST_TEST(parse_duration_us("90")->count() == 90'000'000);
  BOOST_TEST(parse_duration_us("90s")->count() == 90'000'000);
  BOOST_TEST(parse_duration_us("1h30m")->count() == 5'400'000'000LL);
  BOOST_TEST(parse_duration_us("2.5s")->count() == 2'500'000);
  BOOST_TEST(parse_duration_us("0.5m")->count() == 30'000'000);
  for (const char* bad : {"", "0", "0s", "1h30", "x", "-5s", "5q", "1.5.5s"}) BOOST_TEST(!parse_duration_us(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(prints_local_time_with_its_offset) {
  ScopedTz tz("Europe/Berlin");
  BOOST_TEST(format_local(utc(2026, 10, 25, 0, 30, 0, 40000)) == "2026-10-25T02:30:00.040+02:00");
  BOOST_TEST(format_local(utc(2026, 10, 25, 1, 30, 0)) == "2026-10-25T02:30:00.000+01:00");
  BOOST_TEST(format_utc(utc(2026, 12, 6, 9, 3, 12, 40)) == "2026-12-06T09:03:12.000040Z");
  BOOST_TEST(format_utc(utc(2026, 12, 6, 9, 3, 12, 40) + milliseconds(5), 3) == "2026-12-06T09:03:12.005Z");
  BOOST_TEST(format_duration(microseconds(3'723'040'000LL)) == "1:02:03.040");
  BOOST_TEST(format_duration(microseconds(63'000'000LL)) == "1:03.000");
}

BOOST_AUTO_TEST_CASE(reads_ffmpeg_creation_time) {
  BOOST_TEST((*parse_creation_time("2026-12-06T09:03:12.040000Z") == utc(2026, 12, 6, 9, 3, 12, 40000)));
  BOOST_TEST((*parse_creation_time("2026-12-06T09:03:12Z") == utc(2026, 12, 6, 9, 3, 12)));
  BOOST_TEST(!parse_creation_time("garbage").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
