// SPDX-License-Identifier: MIT
// Reading back a segment file's HLS marks (fragments, keyframes, times) from the disk, for a playlist rebuilt at start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "cctv/error.hpp"
#include "segment.hpp"

namespace cctv::record {

// What a segment file holds, as far as it is complete on disk: the marks
// SegmentWriter::take_marks() gave while it was written (MP4: every
// complete fragment with video; MPEG-TS: every video packet but the last,
// which may be cut short), where the complete media ends, and when the
// recording began.
struct ScannedFile {
  std::int64_t init_size = 0;  // MP4: ftyp and moov; MPEG-TS: 0
  std::vector<Mark> marks;
  std::int64_t media_end = 0;  // the end of the last complete fragment (MP4) or of the last mark's packet (TS)
  double end_time = 0;         // the video time there, seconds
  // The wall-clock time of the first frame: MP4's date tag (microseconds),
  // else its creation_time (whole seconds); nullopt for MPEG-TS, which
  // keeps none (the caller uses the file's mtime less its duration).
  std::optional<WallClock::time_point> start;
};

// "2026-12-07T10:00:00.123456Z" (UTC, any number of decimals, or none) as a time point.
std::optional<WallClock::time_point> parse_iso_utc(const std::string& s);

// Reads an MP4 written by SegmentWriter (fragmented, one video track):
// only the box headers, moov and the moof boxes, never the media.
// Errors: kOutput when the file cannot be read or holds no moov.
[[nodiscard]] Result<ScannedFile> scan_mp4(const std::filesystem::path& p);

// Reads an MPEG-TS file through libavformat (the whole file).
// Errors: kOutput when it cannot be opened or holds no video.
[[nodiscard]] Result<ScannedFile> scan_ts(const std::filesystem::path& p);

}  // namespace cctv::record
