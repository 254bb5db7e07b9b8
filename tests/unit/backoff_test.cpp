// SPDX-License-Identifier: MIT
// Tests for the reconnect backoff and the stall watch.
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

BOOST_AUTO_TEST_SUITE_END()
