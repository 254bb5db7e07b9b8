// SPDX-License-Identifier: MIT
// The HLS playlists as data: a live media playlist (a sliding window of
// segments) and a master playlist, rendered to RFC 8216 text. Pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace cctv::hls {

using SystemTime = std::chrono::system_clock::time_point;

// One complete segment file.
struct Segment {
  std::int64_t sequence = 0;  // media sequence number (also the AES-128 IV)
  std::string uri;            // file name relative to the playlist: "stream-42.ts"
  double duration = 0;        // seconds
  SystemTime program_date_time;
  bool discontinuity = false;  // the timeline breaks before it (reconnect, lost segment)
  std::string map_uri;         // fMP4 init segment ("init-40.mp4"); empty for MPEG-TS
  std::string key_uri;         // AES-128 key URI; empty: not encrypted
  std::int64_t bytes = 0;      // size on disk, for the bitrate
};

// A live media playlist: the newest `list_size` segments, with a media
// sequence and a discontinuity sequence that only increase.
// Not thread-safe.
class MediaPlaylist {
 public:
  // `segment_time` is the target length; EXT-X-TARGETDURATION starts at it
  // (rounded, at least 1) and grows when a longer segment is added (a camera
  // GOP longer than the target), never shrinks.
  MediaPlaylist(int list_size, double segment_time);

  // Appends a segment (REQUIRES: its sequence is one past the last one's)
  // and returns the segments that fell out of the window, oldest first.
  std::vector<Segment> add(Segment s);

  // Marks the playlist finished (EXT-X-ENDLIST).
  void end() { ended_ = true; }

  // The playlist text.
  std::string render() const;

  const std::deque<Segment>& segments() const { return segments_; }
  int target_duration() const { return target_; }

 private:
  int list_size_;
  int target_;
  std::deque<Segment> segments_;
  std::int64_t discontinuity_sequence_ = 0;
  bool ended_ = false;
};

// EXT-X-PROGRAM-DATE-TIME's format, in UTC with milliseconds:
// "2026-01-31T12:34:56.789Z".
std::string format_program_date_time(SystemTime t);

// One rendition of a master playlist.
struct Variant {
  std::string uri;          // "main/stream.m3u8"
  std::int64_t bandwidth = 0;          // peak segment bitrate, bits/s
  std::int64_t average_bandwidth = 0;  // 0: left out
  int width = 0, height = 0;           // 0: RESOLUTION left out
  std::string codecs;                  // RFC 6381 list: "avc1.4d401f,mp4a.40.2"; empty: left out
};

// A master playlist listing `variants` in order.
std::string render_master(const std::vector<Variant>& variants);

}  // namespace cctv::hls
