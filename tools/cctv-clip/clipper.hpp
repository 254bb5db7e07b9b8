// SPDX-License-Identifier: MIT
// The copy itself: packets of consecutive recordings onto one timeline, cut at both ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "cctv/av.hpp"
#include "cctv/error.hpp"
#include "cctv/remux.hpp"
#include "cctv/times.hpp"
#include "clip.hpp"
#include "index.hpp"
#include "writer.hpp"

namespace cctv::clip {

struct ClipPlan {
  WallTime from, to;
  Container container = Container::kMp4;
  bool exact = true;  // edit list over the pre-roll; else start at the keyframe
  GapMode gaps = GapMode::kKeep;
  bool no_audio = false;
  std::string output;  // "-" for stdout
};

struct ClipResult {
  WallTime first;  // the first frame shown (wall clock)
  WallTime end;    // the end of the last frame (wall clock)
  std::chrono::microseconds duration{0};  // of the clip's timeline
  std::chrono::microseconds preroll{0};   // hidden by the edit list
  std::int64_t frames = 0;
  std::uint64_t bytes = 0;
  std::int64_t dropped_audio = 0;  // overlapping at file boundaries
};

// Copies the packets of `files` (sorted, overlapping the plan's range) into
// the output. Video frames are placed by each file's start plus their
// timestamps; a file that continues the one before (kJoinTolerance) goes on
// right after its last frame, so nothing is lost, repeated or goes back; a
// gap is kept as wall time or collapsed (plan.gaps; kFail is decided before).
// Errors: kUnsupported (video parameters change; audio the container cannot
// take and no AAC encoder), kOutput, kNotFound (no keyframe in the range).
[[nodiscard]] Result<ClipResult> copy_clip(const ClipPlan& plan, const std::vector<FileInfo>& files);

}  // namespace cctv::clip
