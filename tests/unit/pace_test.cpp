// SPDX-License-Identifier: MIT
// Tests for FrameCap, the pacing of timelapses, capped streams and viewers.
#include "cctv/pace.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv;

BOOST_AUTO_TEST_SUITE(pace)

BOOST_AUTO_TEST_CASE(fps_cap_of_5_lets_one_frame_in_each_fifth_of_a_second) {
  auto cap = FrameCap::per_second(5);
  int sent = 0;
  for (int i = 0; i < 100; ++i) {  // 25 fps for 4 s
    const double t = 1000.0 + i * 0.04;
    if (cap.due(t)) {
      cap.taken(t);
      ++sent;
    }
  }
  BOOST_TEST(sent >= 19);
  BOOST_TEST(sent <= 21);
}

BOOST_AUTO_TEST_CASE(fps_cap_skips_missed_slots_after_a_pause_instead_of_bursting) {
  auto cap = FrameCap::per_second(10);
  cap.taken(0.0);
  BOOST_TEST(cap.due(5.0));
  cap.taken(5.0);
  BOOST_TEST(!cap.due(5.05));
  BOOST_TEST(cap.due(5.1));
}

BOOST_AUTO_TEST_CASE(fps_cap_of_zero_lets_every_frame_through) {
  auto cap = FrameCap::per_second(0);
  cap.taken(1.0);
  BOOST_TEST(cap.due(1.0));
}

BOOST_AUTO_TEST_SUITE_END()
