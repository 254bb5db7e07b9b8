// SPDX-License-Identifier: MIT
// cctv-probe's --sample figures from a list of video frames: fps, GOP, bitrate, timestamp jumps.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

namespace cctv::probe {

// One video packet as the sampler read it.
struct FrameSample {
  double pts = 0;      // its timestamp in seconds; NaN when it had none
  double arrival = 0;  // when it was read, seconds on a steady clock (any origin)
  bool key = false;
  std::int64_t size = 0;  // bytes
};

// Steps of the camera's clock (an NTP resync) seen during the sample.
struct TimestampJumps {
  int count = 0;
  int forward = 0;
  int back = 0;
  double largest_seconds = 0;  // the largest step by magnitude, signed (+30, -5); 0 when none
};

// Figures measured over a sample (--sample).
struct Measured {
  double seconds = 0;  // time sampled: the arrival clock's span plus one frame
  int frames = 0;      // video packets
  int keyframes = 0;
  double fps = 0;         // 0 when unknown (fewer than 2 frames)
  double gop_frames = 0;  // median frames between keyframes; 0 if fewer than 2 keyframes
  double gop_seconds = 0;  // gop_frames / fps
  double bitrate_kbps = 0;  // all streams, over `seconds`
  TimestampJumps jumps;
};

// Measures `frames` (in the order read; B-frame-free streams) plus
// `other_bytes` of other streams read over the same time. Pure; never fails:
// figures it cannot tell are 0.
//
// Between consecutive frames, d is the timestamp step and a the arrival
// interval. With m the median of the positive steps (of the positive arrival
// intervals when no step is positive) and T = max(1 s, 10 m), a step is a
// timestamp jump when d - a > T (the clock stepped forward) or when d < 0 and
// a - d > T (it stepped back); its size is d - a. A late packet (d >= 0 and a
// large) is a network stall, not a jump. fps is the number of the other steps
// over their sum (dropped frames lower it, jumps do not move it), or, when
// that sum is not positive (equal timestamps), frames over the arrival span.
// gop_frames is the median count of frames from one keyframe to the next.
Measured measure(std::span<const FrameSample> frames, std::int64_t other_bytes);

// The arrival clock of a source read faster than real time (a file): its
// media time, except that a step outside [0, 1 s] advances it by the last
// step inside instead. So a jump in a file's timestamps is still a jump to
// measure(), and does not end or lengthen the sample. Pure.
class MediaClock {
 public:
  // The arrival time of a frame with timestamp `pts` (NaN: none), from 0.
  double arrival(double pts);

 private:
  double now_ = 0;
  double last_pts_ = std::numeric_limits<double>::quiet_NaN();
  double last_step_ = 0;
};

}  // namespace cctv::probe
