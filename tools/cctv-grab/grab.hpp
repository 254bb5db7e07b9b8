// SPDX-License-Identifier: MIT
// cctv-grab's logic: snapshots, timelapses and JPEG streams from one connection.
#pragma once

#include <string>

#include "cctv/cli.hpp"
#include "cctv/jpeg.hpp"
#include "cctv/pace.hpp"

namespace cctv::grab {

enum class StreamFormat { kJpeg, kMpjpeg };

struct Options {
  InputCliOptions input;
  std::string url;
  std::string output;        // empty: snapshot.jpg, or "-" with --stream
  JpegOptions jpeg;
  bool quality_given = false;  // an explicit --quality disables MJPEG pass-through
  bool keyframe_only = false;
  long count = -1;             // 0: until stopped; -1: 1, or unbounded with --stream
  double interval = 1.0;       // seconds between timelapse shots
  bool stream = false;
  StreamFormat format = StreamFormat::kJpeg;
  double fps = 0;              // --stream rate cap; 0: every frame
  LiveCliOptions live;         // retries -1: 0 for one snapshot, forever otherwise
};

// The frames to write, in wall-clock terms: one snapshot, a series every
// `interval`, or a stream capped at `fps`. Pure; unit-tested.
class Schedule {
 public:
  Schedule(const Options& o, double start_s);
  // Is a frame available at time `now_s` (seconds, steady clock) wanted?
  bool due(double now_s) const;
  // Records that a frame was written at `now_s`.
  void taken(double now_s);
  bool finished() const { return count_ > 0 && taken_ >= count_; }
  long taken_count() const { return taken_; }

 private:
  FrameCap cap_;
  long count_;  // 0: unbounded
  long taken_ = 0;
};

// Runs cctv-grab: the exit status, or an Error for tool_main to print.
[[nodiscard]] cctv::Result<ExitCode> run(const Options& o);

}  // namespace cctv::grab
