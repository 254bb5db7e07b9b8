// SPDX-License-Identifier: MIT
// cctv-probe's --sample figures: medians and a timestamp/arrival comparison, so a clock jump cannot skew them.
#include "measure.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace cctv::probe {

namespace {

// A jump is a step this many times the typical frame interval beyond the
// arrival clock, and at least kMinJumpSeconds: far above network jitter, and
// far below the NTP steps cameras make (seconds to hours).
constexpr double kJumpIntervals = 10;
constexpr double kMinJumpSeconds = 1;
// MediaClock: a file's timestamp step above this is a jump, not elapsed time.
constexpr double kMaxMediaStep = 1;

// Between two consecutive frames: the timestamp step and the arrival interval.
struct Step {
  double d;
  double a;
};

// The median of `v` (0 when empty); `v` is reordered.
double median(std::vector<double>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  return (*std::max_element(v.begin(), mid) + *mid) / 2;
}

// Steps between consecutive frames that both have a timestamp.
std::vector<Step> steps_of(std::span<const FrameSample> frames) {
  std::vector<Step> steps;
  for (size_t i = 1; i < frames.size(); ++i) {
    const double d = frames[i].pts - frames[i - 1].pts;
    if (!std::isnan(d)) steps.push_back({d, frames[i].arrival - frames[i - 1].arrival});
  }
  return steps;
}

// The median positive timestamp step; the median positive arrival interval
// when timestamps never advance; 0 when neither does.
double typical_interval(const std::vector<Step>& steps) {
  std::vector<double> d;
  std::vector<double> a;
  for (const Step& s : steps) {
    if (s.d > 0) d.push_back(s.d);
    if (s.a > 0) a.push_back(s.a);
  }
  return !d.empty() ? median(d) : median(a);
}

// +1 a forward jump, -1 a jump back, 0 an ordinary step (see measure()).
int jump_direction(const Step& s, double tolerance) {
  if (s.d - s.a > tolerance) return 1;
  if (s.d < 0 && s.a - s.d > tolerance) return -1;
  return 0;
}

// Classifies every step; fills m.jumps and m.fps.
void measure_steps(std::span<const FrameSample> frames, Measured& m) {
  const std::vector<Step> steps = steps_of(frames);
  const double tolerance = std::max(kMinJumpSeconds, kJumpIntervals * typical_interval(steps));
  int ordinary = 0;
  double ordinary_sum = 0;
  for (const Step& s : steps) {
    const int dir = jump_direction(s, tolerance);
    if (dir == 0) {
      ++ordinary;
      ordinary_sum += s.d;
      continue;
    }
    ++m.jumps.count;
    ++(dir > 0 ? m.jumps.forward : m.jumps.back);
    if (std::abs(s.d - s.a) > std::abs(m.jumps.largest_seconds)) m.jumps.largest_seconds = s.d - s.a;
  }
  if (ordinary_sum > 0) {
    m.fps = ordinary / ordinary_sum;
    return;
  }
  // Timestamps that never advance: count frames on the arrival clock.
  const double span = frames.empty() ? 0 : frames.back().arrival - frames.front().arrival;
  m.fps = span > 0 ? (static_cast<double>(frames.size()) - 1) / span : 0;
}

// The median count of frames from one keyframe to the next; 0 with fewer
// than two keyframes.
double median_gop(std::span<const FrameSample> frames) {
  std::vector<double> gops;
  std::optional<size_t> last_key;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!frames[i].key) continue;
    if (last_key) gops.push_back(static_cast<double>(i - *last_key));
    last_key = i;
  }
  return median(gops);
}

}  // namespace

Measured measure(std::span<const FrameSample> frames, std::int64_t other_bytes) {
  Measured m;
  m.frames = static_cast<int>(frames.size());
  std::int64_t bytes = other_bytes;
  for (const FrameSample& f : frames) {
    m.keyframes += f.key ? 1 : 0;
    bytes += f.size;
  }
  measure_steps(frames, m);
  m.gop_frames = median_gop(frames);
  m.gop_seconds = m.fps > 0 ? m.gop_frames / m.fps : 0;
  // n frames span n-1 intervals on the arrival clock; one more is the last frame's.
  if (!frames.empty()) m.seconds = frames.back().arrival - frames.front().arrival + (m.fps > 0 ? 1 / m.fps : 0);
  m.bitrate_kbps = m.seconds > 0 ? static_cast<double>(bytes) * 8 / m.seconds / 1000 : 0;
  return m;
}

double MediaClock::arrival(double pts) {
  if (std::isnan(pts)) {
    // No timestamp: one more frame of the current pace.
    now_ += last_step_;
    last_pts_ += last_step_;
    return now_;
  }
  if (!std::isnan(last_pts_)) {
    const double step = pts - last_pts_;
    if (step >= 0 && step <= kMaxMediaStep) last_step_ = step;
    now_ += last_step_;
  }
  last_pts_ = pts;
  return now_;
}

}  // namespace cctv::probe
