// SPDX-License-Identifier: MIT
// Tests for cctv-probe's --sample figures: fps, GOP, bitrate and timestamp jumps from frames.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "measure.hpp"

using namespace cctv::probe;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `n` frames at `fps`, a keyframe every `gop`, 10 kB each, each arriving
// (steady clock, origin 1000 s) the moment its timestamp says.
std::vector<FrameSample> steady(int n, double fps = 25, int gop = 50) {
  std::vector<FrameSample> frames;
  for (int i = 0; i < n; ++i) {
    const double t = i / fps;
    frames.push_back({t, 1000 + t, i % gop == 0, 10'000});
  }
  return frames;
}

// Adds `seconds` to the timestamps from frame `from` on: the camera's clock steps.
void step_clock(std::vector<FrameSample>& frames, size_t from, double seconds) {
  for (size_t i = from; i < frames.size(); ++i) frames[i].pts += seconds;
}

bool near(double a, double b, double tolerance = 1e-6) { return std::abs(a - b) <= tolerance; }

}  // namespace

BOOST_AUTO_TEST_SUITE(probe_measure)

BOOST_AUTO_TEST_CASE(steady_25_fps_gives_25_fps_a_2_second_gop_and_no_jumps) {
  const Measured m = measure(steady(625), 0);  // 25 s
  BOOST_TEST(m.frames == 625);
  BOOST_TEST(m.keyframes == 13);
  BOOST_TEST(near(m.fps, 25));
  BOOST_TEST(near(m.gop_frames, 50));
  BOOST_TEST(near(m.gop_seconds, 2));
  BOOST_TEST(near(m.seconds, 25));
  BOOST_TEST(near(m.bitrate_kbps, 625 * 10'000 * 8 / 25.0 / 1000));  // 2000
  BOOST_TEST(m.jumps.count == 0);
  BOOST_TEST(m.jumps.largest_seconds == 0);
}

BOOST_AUTO_TEST_CASE(bytes_of_other_streams_count_in_the_bitrate) {
  const Measured m = measure(steady(625), 25 * 8'000);  // 64 kbit/s of audio
  BOOST_TEST(near(m.bitrate_kbps, 2000 + 64));
}

BOOST_AUTO_TEST_CASE(a_step_back_of_5_seconds_is_one_jump_and_moves_no_figure) {
  std::vector<FrameSample> frames = steady(625);
  step_clock(frames, 260, -5);  // mid-GOP, as the fixture's /clock-jump does
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 1);
  BOOST_TEST(m.jumps.back == 1);
  BOOST_TEST(m.jumps.forward == 0);
  BOOST_TEST(near(m.jumps.largest_seconds, -5));
  BOOST_TEST(near(m.fps, 25));
  BOOST_TEST(near(m.gop_frames, 50));
  BOOST_TEST(near(m.gop_seconds, 2));
  BOOST_TEST(near(m.seconds, 25));
  BOOST_TEST(near(m.bitrate_kbps, 2000));
}

BOOST_AUTO_TEST_CASE(a_step_forward_of_30_seconds_is_one_jump_and_moves_no_figure) {
  std::vector<FrameSample> frames = steady(625);
  step_clock(frames, 510, 30);
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 1);
  BOOST_TEST(m.jumps.forward == 1);
  BOOST_TEST(m.jumps.back == 0);
  BOOST_TEST(near(m.jumps.largest_seconds, 30));
  BOOST_TEST(near(m.fps, 25));
  BOOST_TEST(near(m.gop_seconds, 2));
  BOOST_TEST(near(m.seconds, 25));
}

// The report that started this: 30 fps, a GOP of 1.667 s and a bitrate 20 %
// high, from the media time of a sample whose clock stepped back 5 s.
BOOST_AUTO_TEST_CASE(a_back_and_a_forward_jump_in_one_sample_are_both_counted) {
  std::vector<FrameSample> frames = steady(625);
  step_clock(frames, 260, -5);
  step_clock(frames, 510, 30);
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 2);
  BOOST_TEST(m.jumps.back == 1);
  BOOST_TEST(m.jumps.forward == 1);
  BOOST_TEST(near(m.jumps.largest_seconds, 30));
  BOOST_TEST(near(m.fps, 25));
  BOOST_TEST(near(m.gop_frames, 50));
  BOOST_TEST(near(m.bitrate_kbps, 2000));
}

BOOST_AUTO_TEST_CASE(arrival_jitter_and_a_network_stall_are_not_jumps) {
  std::vector<FrameSample> frames = steady(625);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(0, 0.4);
  for (FrameSample& f : frames) f.arrival += jitter(rng);
  // Frames 100..174 (4 s to 7 s) held up by the network, then all at once.
  for (size_t i = 100; i < 175; ++i) frames[i].arrival = 1007.0;
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 0);
  BOOST_TEST(near(m.fps, 25));
  BOOST_TEST(near(m.gop_frames, 50));
}

BOOST_AUTO_TEST_CASE(a_pause_the_arrival_clock_also_shows_is_not_a_jump) {
  std::vector<FrameSample> frames = steady(625);
  for (size_t i = 300; i < frames.size(); ++i) {  // nothing sent for 3 s
    frames[i].pts += 3;
    frames[i].arrival += 3;
  }
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 0);
  BOOST_TEST(m.fps < 23);  // frames missing are frames missing
  BOOST_TEST(near(m.seconds, 28, 0.01));  // 27.96 s of arrivals, plus one frame
}

BOOST_AUTO_TEST_CASE(steps_under_the_threshold_are_not_jumps) {
  std::vector<FrameSample> frames = steady(625);
  step_clock(frames, 200, -0.5);  // under max(1 s, 10 x 40 ms)
  step_clock(frames, 400, 0.9);
  BOOST_TEST(measure(frames, 0).jumps.count == 0);
  step_clock(frames, 500, -1.2);
  BOOST_TEST(measure(frames, 0).jumps.count == 1);
}

BOOST_AUTO_TEST_CASE(the_threshold_grows_with_the_frame_interval) {
  std::vector<FrameSample> frames = steady(60, 1, 10);  // 1 fps: threshold 10 s
  step_clock(frames, 20, 5);
  BOOST_TEST(measure(frames, 0).jumps.count == 0);
  step_clock(frames, 40, 15);
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 1);
  BOOST_TEST(near(m.jumps.largest_seconds, 15));
}

BOOST_AUTO_TEST_CASE(equal_timestamps_fall_back_to_the_arrival_clock) {
  std::vector<FrameSample> frames = steady(250);
  for (FrameSample& f : frames) f.pts = 42;
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 0);
  BOOST_TEST(near(m.fps, 25));
  BOOST_TEST(near(m.gop_seconds, 2));
}

BOOST_AUTO_TEST_CASE(a_repeated_timestamp_is_an_ordinary_step) {
  std::vector<FrameSample> frames = steady(625);
  for (size_t i = 10; i < frames.size(); i += 10) frames[i].pts = frames[i - 1].pts;
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 0);
  BOOST_TEST(std::isfinite(m.fps));
  BOOST_TEST(near(m.fps, 25, 0.1));  // over the whole span, the pace is unchanged
}

BOOST_AUTO_TEST_CASE(frames_without_a_timestamp_are_counted_but_not_timed) {
  std::vector<FrameSample> frames = steady(625);
  for (size_t i = 5; i < frames.size(); i += 7) frames[i].pts = kNaN;
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.frames == 625);
  BOOST_TEST(m.jumps.count == 0);
  BOOST_TEST(near(m.fps, 25));
}

BOOST_AUTO_TEST_CASE(too_few_frames_or_keyframes_give_zeros_not_nonsense) {
  const Measured none = measure({}, 1000);
  BOOST_TEST(none.frames == 0);
  BOOST_TEST(none.fps == 0);
  BOOST_TEST(none.seconds == 0);
  BOOST_TEST(none.bitrate_kbps == 0);
  const Measured one = measure(steady(1), 0);
  BOOST_TEST(one.frames == 1);
  BOOST_TEST(one.fps == 0);
  BOOST_TEST(one.gop_frames == 0);
  const Measured one_key = measure(steady(40), 0);  // GOP 50: one keyframe
  BOOST_TEST(one_key.keyframes == 1);
  BOOST_TEST(near(one_key.fps, 25));
  BOOST_TEST(one_key.gop_frames == 0);
  BOOST_TEST(one_key.gop_seconds == 0);
}

BOOST_AUTO_TEST_CASE(gop_is_the_median_count_between_keyframes) {
  std::vector<FrameSample> frames = steady(500);
  frames[125].key = true;  // one extra keyframe (a scene change) splits one GOP
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.keyframes == 11);
  BOOST_TEST(near(m.gop_frames, 50));
}

BOOST_AUTO_TEST_CASE(media_clock_follows_timestamps_and_skips_their_jumps) {
  MediaClock clock;
  BOOST_TEST(clock.arrival(100.0) == 0);
  BOOST_TEST(near(clock.arrival(100.04), 0.04));
  BOOST_TEST(near(clock.arrival(100.08), 0.08));
  BOOST_TEST(near(clock.arrival(130.12), 0.12));  // +30 s: one more frame
  BOOST_TEST(near(clock.arrival(130.16), 0.16));
  BOOST_TEST(near(clock.arrival(125.16), 0.20));  // -5 s: one more frame
  BOOST_TEST(near(clock.arrival(kNaN), 0.24));    // no timestamp: one more frame
  BOOST_TEST(near(clock.arrival(125.24), 0.28));
}

BOOST_AUTO_TEST_CASE(a_jump_in_a_file_is_found_through_its_media_clock) {
  std::vector<FrameSample> frames = steady(625);
  step_clock(frames, 260, -5);
  MediaClock clock;
  for (FrameSample& f : frames) f.arrival = clock.arrival(f.pts);
  const Measured m = measure(frames, 0);
  BOOST_TEST(m.jumps.count == 1);
  BOOST_TEST(near(m.jumps.largest_seconds, -5));
  BOOST_TEST(near(m.seconds, 25));
}

BOOST_AUTO_TEST_SUITE_END()
