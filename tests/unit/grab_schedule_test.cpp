// SPDX-License-Identifier: MIT
// Tests for cctv-grab's schedule: which frames a snapshot, timelapse or stream writes.
#include <boost/test/unit_test.hpp>

#include "grab.hpp"

using namespace cctv::grab;

BOOST_AUTO_TEST_SUITE(grab_schedule)

BOOST_AUTO_TEST_CASE(one_snapshot_takes_the_first_frame_and_finishes) {
  Options o;
  Schedule s(o, 100.0);
  BOOST_TEST(s.due(100.0));
  s.taken(101.3);
  BOOST_TEST(s.finished());
}

BOOST_AUTO_TEST_CASE(timelapse_takes_one_frame_per_interval) {
  Options o;
  o.count = 3;
  o.interval = 0.5;
  Schedule s(o, 0.0);
  BOOST_TEST(s.due(1.0));  // the first frame after the keyframe wait
  s.taken(1.0);
  BOOST_TEST(!s.due(1.2));
  BOOST_TEST(s.due(1.5));
  s.taken(1.52);
  BOOST_TEST(!s.finished());
  BOOST_TEST(!s.due(1.9));
  BOOST_TEST(s.due(2.0));
  s.taken(2.0);
  BOOST_TEST(s.finished());
}

BOOST_AUTO_TEST_CASE(timelapse_skips_shots_missed_during_an_outage) {
  Options o;
  o.count = 0;
  o.interval = 1.0;
  Schedule s(o, 0.0);
  s.taken(0.0);
  // The camera was away from 0.5 s to 10.2 s: one shot now, then the next a period later.
  BOOST_TEST(s.due(10.2));
  s.taken(10.2);
  BOOST_TEST(!s.due(10.9));
  BOOST_TEST(s.due(11.2));
}

BOOST_AUTO_TEST_CASE(stream_fps_cap_keeps_the_average_rate) {
  Options o;
  o.stream = true;
  o.fps = 10;
  Schedule s(o, 0.0);
  int written = 0;
  for (int i = 0; i < 250; ++i) {  // 10 s of a 25 fps source
    const double t = i * 0.04;
    if (s.due(t)) {
      s.taken(t);
      ++written;
    }
  }
  BOOST_TEST(written >= 98);
  BOOST_TEST(written <= 101);
  BOOST_TEST(!s.finished());
}

BOOST_AUTO_TEST_CASE(stream_without_cap_writes_every_frame) {
  Options o;
  o.stream = true;
  Schedule s(o, 0.0);
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST(s.due(i * 0.04));
    s.taken(i * 0.04);
  }
}

BOOST_AUTO_TEST_SUITE_END()
