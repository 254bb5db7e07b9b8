// SPDX-License-Identifier: MIT
// Muxing stream-copied packets into segments in memory (HLS, live fMP4): MPEG-TS, or
// fragmented MP4 (an init segment, then one moof+mdat fragment per segment).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cctv/av.hpp"
#include "cctv/error.hpp"

namespace cctv {

enum class SegmentContainer { kTs, kFmp4 };

// The time base of the timestamps write() takes, for every stream.
inline constexpr AVRational kTimeline{1, 90000};

// One muxer for a run of segments with the same stream parameters. Output
// stream 0 is the video, 1 the audio (when given). Segments are built in
// memory and handed out whole by cut(), so files can be written atomically
// (and encrypted) by the caller.
// Thread safety: one thread at a time.
class SegmentMuxer {
 public:
  // Sets up the container for `video` (H.264 or H.265; H.265 in fMP4 gets
  // the hvc1 sample entry) and `audio` (AAC/MP3/AC-3, or null) and writes
  // the header. Errors: kUnsupported when FFmpeg's muxer refuses a codec,
  // kFailure otherwise.
  [[nodiscard]] static Result<SegmentMuxer> open(SegmentContainer container, const AVCodecParameters& video,
                                                 const AVCodecParameters* audio);

  SegmentMuxer(SegmentMuxer&&) noexcept;
  SegmentMuxer& operator=(SegmentMuxer&&) noexcept;
  ~SegmentMuxer();

  SegmentContainer container() const;
  bool has_audio() const;

  // The fMP4 init segment (ftyp + moov); empty for MPEG-TS.
  std::span<const std::uint8_t> init_segment() const;

  // Writes one packet (stream_index 0 or 1; timestamps in kTimeline,
  // strictly increasing DTS per stream). The packet is consumed.
  // Errors: kFailure with FFmpeg's reason.
  [[nodiscard]] Status write(AVPacket* pkt);

  // Ends the current segment: flushes the fragment (fMP4) or the pending PES
  // packets (TS) and returns the segment's bytes. The next write() starts a
  // new segment, which again begins with PAT/PMT (TS).
  [[nodiscard]] Result<std::vector<std::uint8_t>> cut();

  struct State;  // implementation detail

 private:
  explicit SegmentMuxer(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace cctv
