// SPDX-License-Identifier: MIT
// What the recordings hold: each file's wall-clock span, and the spans and gaps they make together.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cctv/av.hpp"
#include "cctv/error.hpp"
#include "cctv/times.hpp"
#include "names.hpp"

namespace cctv::clip {

// Two files whose wall-clock spans are this close (either way) are one
// continuous recording: a segment boundary, where the recorder's clock reading
// of the new file's first keyframe differs from the old file's end by the
// packet's arrival jitter. A larger distance is a gap (an outage).
inline constexpr std::chrono::microseconds kJoinTolerance{500'000};

// One recording file, as far as it is complete.
struct FileInfo {
  std::filesystem::path path;
  std::uintmax_t size = 0;   // bytes when it was looked at: nothing beyond is read
  WallTime start;            // the first video frame
  WallTime end;              // the end of the last complete video frame
  std::int64_t first_dts = 0;  // of the first video packet, in the video time base
  AVRational time_base{1, 1};  // of the video stream
  bool start_from_name = false;  // no creation_time in the file (MPEG-TS): the name's time
  bool start_to_second = false;  // creation_time without a fraction (an older MP4)
  bool has_audio = false;
};

// Opens `f` and reads its start (creation_time, else the name's time) and
// the end of its last complete frame (from the MP4 fragment index, else by
// reading its packets): a file still being written counts up to its last
// complete fragment. Errors: kNotFound (no video stream, no time at all),
// kFailure (unreadable).
[[nodiscard]] Result<FileInfo> probe_file(const NamedFile& f);

// Opens a recording for reading (the demuxer as the library uses it).
[[nodiscard]] Result<av::InputPtr> open_recording(const std::filesystem::path& p);

struct Span {
  WallTime start, end;
  std::vector<const FileInfo*> files;
};
struct Gap {
  WallTime start, end;
};
struct Timeline {
  std::vector<Span> spans;
  std::vector<Gap> gaps;  // between spans
};

// Joins `files` (sorted by start) into continuous spans (kJoinTolerance).
[[nodiscard]] Timeline build_timeline(const std::vector<FileInfo>& files);

// The files of `pattern` (candidates by their names) that may overlap
// [from, to): opened and probed, sorted by start. Files that cannot be read
// are skipped with a warning. `from`/`to` unset: every file.
[[nodiscard]] Result<std::vector<FileInfo>> find_recordings(const NamePattern& pattern, std::optional<WallTime> from,
                                                            std::optional<WallTime> to);

}  // namespace cctv::clip
