// SPDX-License-Identifier: MIT
// Tests for the reconnect backoff, the stall watch and the outage log.
#include "cctv/backoff.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(doubles_from_half_a_second_to_thirty_seconds) {
  Backoff b(BackoffPolicy{.jitter = 0}, 1);
  const auto t = Clock::now();
  std::vector<long> got;
  for (int i = 0; i < 9; ++i) got.push_back(b.next_delay(t)->count());
  const std::vector<long> want{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
  BOOST_TEST(got == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_bounds_and_varies) {
  Backoff b(BackoffPolicy{.max = 500ms, .jitter = 0.2}, 42);
  const auto t = Clock::now();
  long lo = 1'000'000, hi = 0;
  for (int i = 0; i < 200; ++i) {
    const long d = b.next_delay(t)->count();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  BOOST_TEST(lo >= 400);
  BOOST_TEST(hi <= 600);
  BOOST_TEST(hi - lo > 50);  // it is really jittered
}

BOOST_AUTO_TEST_CASE(resets_after_a_minute_of_healthy_stream) {
  Backoff b(BackoffPolicy{.jitter = 0}, 1);
  const auto t = Clock::now();
  for (int i = 0; i < 5; ++i) (void)b.next_delay(t);
  BOOST_TEST(b.nominal().count() == 16000);
  b.connected(t);
  BOOST_TEST(b.next_delay(t + 30s)->count() == 16000);  // 30 s is not healthy enough
  b.connected(t + 40s);
  BOOST_TEST(b.next_delay(t + 101s)->count() == 500);
  BOOST_TEST(b.failures() == 1);
}

BOOST_AUTO_TEST_CASE(retries_bound_the_attempts) {
  Backoff b(BackoffPolicy{.jitter = 0, .max_retries = 2}, 1);
  const auto t = Clock::now();
  BOOST_TEST(b.next_delay(t).has_value());
  BOOST_TEST(b.next_delay(t).has_value());
  BOOST_TEST(!b.next_delay(t).has_value());
}

BOOST_AUTO_TEST_CASE(stall_fires_only_after_the_limit_without_packets) {
  StallWatch w(10s);
  const auto t = Clock::now();
  BOOST_TEST(!w.stalled(t + 1h));  // nothing received yet: the connect timeout applies
  w.packet(t);
  BOOST_TEST(!w.stalled(t + 9s));
  BOOST_TEST(w.remaining(t + 9s).count() == 1000);
  BOOST_TEST(w.stalled(t + 11s));
  w.packet(t + 11s);
  BOOST_TEST(!w.stalled(t + 12s));
}

BOOST_AUTO_TEST_CASE(an_outage_warns_once_per_reason_then_reminds_and_ends_with_its_length) {
  OutageLog log(5min);
  const auto t = Clock::now();
  BOOST_TEST(!log.down());
  BOOST_TEST(!log.recovered(t).has_value());  // nothing to end

  auto l = log.failed(t, "cam: the camera closed the stream", 500ms);
  BOOST_TEST((l.level == LogLevel::kWarning));
  BOOST_TEST(l.text == "cam: the camera closed the stream; retrying in 0.5 s");
  BOOST_TEST(log.down());

  l = log.failed(t + 1s, "cam: connection refused", 1100ms);  // a new reason is news
  BOOST_TEST((l.level == LogLevel::kWarning));
  BOOST_TEST(l.text == "cam: connection refused; retrying in 1.1 s");

  l = log.failed(t + 3s, "cam: connection refused", 2s);  // a repeat is not
  BOOST_TEST((l.level == LogLevel::kDebug));
  BOOST_TEST(l.text == "cam: connection refused; retrying in 2.0 s (failure 3)");

  // Five minutes after the last warning, a reminder with the outage so far.
  l = log.failed(t + 1s + 5min - 1ms, "cam: connection refused", 2s);
  BOOST_TEST((l.level == LogLevel::kDebug));
  l = log.failed(t + 1s + 5min, "cam: connection refused", 2s);
  BOOST_TEST((l.level == LogLevel::kWarning));
  BOOST_TEST(l.text == "cam: connection refused; down for 5 min 1 s, 5 failures; retrying in 2.0 s");

  const auto back = log.recovered(t + 6min);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(*back == "back after 6 min 0 s");
  BOOST_TEST(!log.down());
  BOOST_TEST(!log.recovered(t + 7min).has_value());  // said once

  // The next outage starts afresh: its first failure warns, and counts from 1.
  l = log.failed(t + 8min, "cam: connection refused", 500ms);
  BOOST_TEST((l.level == LogLevel::kWarning));
  l = log.failed(t + 8min + 1s, "cam: connection refused", 1s);
  BOOST_TEST(l.text == "cam: connection refused; retrying in 1.0 s (failure 2)");
  log.forget();
  BOOST_TEST(!log.down());
  BOOST_TEST(!log.recovered(t + 9min).has_value());
}

BOOST_AUTO_TEST_CASE(durations_read_as_seconds_minutes_or_hours) {
  BOOST_TEST(format_duration(5300ms) == "5.3 s");
  BOOST_TEST(format_duration(-1s) == "0.0 s");
  BOOST_TEST(format_duration(59949ms) == "59.9 s");
  BOOST_TEST(format_duration(59960ms) == "1 min 0 s");
  BOOST_TEST(format_duration(4min + 12s) == "4 min 12 s");
  BOOST_TEST(format_duration(3h + 7min + 40s) == "3 h 7 min");
  BOOST_TEST(format_duration(50h) == "50 h 0 min");
}

BOOST_AUTO_TEST_SUITE_END()
