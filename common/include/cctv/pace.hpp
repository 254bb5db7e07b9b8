// SPDX-License-Identifier: MIT
// "At most one frame every period": the pacing of timelapses, capped streams and viewers.
#pragma once

namespace cctv {

// When the next frame is due, for a timelapse (--interval), a capped stream
// (--fps) or one viewer (?fps=N). A frame is due once its time has come;
// after a pause (a camera outage, a slow viewer) the schedule restarts from
// the moment of the next frame instead of letting the missed ones through
// in a burst. Times are seconds on any one clock. Pure.
class FrameCap {
 public:
  // One frame every `period_s` seconds (<= 0: every frame), the first due at
  // `start_s`.
  explicit FrameCap(double period_s, double start_s = 0) : period_(period_s > 0 ? period_s : 0), next_(start_s) {}
  // At most `fps` frames a second (<= 0: every frame).
  static FrameCap per_second(double fps, double start_s = 0) { return FrameCap(fps > 0 ? 1.0 / fps : 0, start_s); }

  bool due(double now_s) const { return period_ <= 0 || now_s >= next_; }
  // Records a frame taken at `now_s`.
  void taken(double now_s) {
    if (period_ <= 0) return;
    next_ += period_;
    if (next_ < now_s) next_ = now_s + period_;
  }
  // When the next frame is due.
  double next_due() const { return next_; }

 private:
  double period_;
  double next_;
};

}  // namespace cctv
