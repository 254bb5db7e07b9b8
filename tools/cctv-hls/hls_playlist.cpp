// SPDX-License-Identifier: MIT
// Rendering media and master playlists (RFC 8216).
#include "hls_playlist.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace cctv::hls {

namespace {

int rounded(double seconds) { return static_cast<int>(std::lround(seconds)); }

// EXT-X-MAP needs version 6; FFmpeg and Apple's tools write 7 for fMP4.
int version_of(const std::deque<Segment>& segments) {
  const bool fmp4 = std::any_of(segments.begin(), segments.end(), [](const Segment& s) { return !s.map_uri.empty(); });
  return fmp4 ? 7 : 3;  // 3: decimal EXTINF
}

void render_segment(std::string& out, const Segment& s, const Segment* previous) {
  if (s.discontinuity && previous != nullptr) out += "#EXT-X-DISCONTINUITY\n";
  // Key and map tags apply until changed; the first listed segment repeats them.
  if (previous == nullptr || previous->key_uri != s.key_uri) {
    if (!s.key_uri.empty()) {
      out += fmt::format("#EXT-X-KEY:METHOD=AES-128,URI=\"{}\"\n", s.key_uri);
    } else if (previous != nullptr) {
      out += "#EXT-X-KEY:METHOD=NONE\n";
    }
  }
  if (!s.map_uri.empty() && (previous == nullptr || previous->map_uri != s.map_uri)) {
    out += fmt::format("#EXT-X-MAP:URI=\"{}\"\n", s.map_uri);
  }
  out += fmt::format("#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:{:.6f},\n{}\n", format_program_date_time(s.program_date_time),
                     s.duration, s.uri);
}

}  // namespace

MediaPlaylist::MediaPlaylist(int list_size, double segment_time)
    : list_size_(list_size), target_(std::max(1, rounded(segment_time))) {
  assert(list_size_ >= 1);
}

std::vector<Segment> MediaPlaylist::add(Segment s) {
  assert(segments_.empty() || s.sequence == segments_.back().sequence + 1);
  target_ = std::max(target_, rounded(s.duration));
  segments_.push_back(std::move(s));
  std::vector<Segment> dropped;
  while (static_cast<int>(segments_.size()) > list_size_) {
    dropped.push_back(std::move(segments_.front()));
    segments_.pop_front();
    // The discontinuity that was between the dropped segment and the new
    // first one is no longer in the list: count it (RFC 8216 4.3.3.3).
    if (segments_.front().discontinuity) ++discontinuity_sequence_;
  }
  return dropped;
}

std::string MediaPlaylist::render() const {
  std::string out = "#EXTM3U\n";
  out += fmt::format("#EXT-X-VERSION:{}\n", version_of(segments_));
  out += fmt::format("#EXT-X-TARGETDURATION:{}\n", target_);
  out += fmt::format("#EXT-X-MEDIA-SEQUENCE:{}\n", segments_.empty() ? 0 : segments_.front().sequence);
  if (discontinuity_sequence_ > 0) out += fmt::format("#EXT-X-DISCONTINUITY-SEQUENCE:{}\n", discontinuity_sequence_);
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  const Segment* previous = nullptr;
  for (const Segment& s : segments_) {
    render_segment(out, s, previous);
    previous = &s;
  }
  if (ended_) out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string format_program_date_time(SystemTime t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000));
}

std::string render_master(const std::vector<Variant>& variants) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const Variant& v : variants) {
    out += fmt::format("#EXT-X-STREAM-INF:BANDWIDTH={}", v.bandwidth);
    if (v.average_bandwidth > 0) out += fmt::format(",AVERAGE-BANDWIDTH={}", v.average_bandwidth);
    if (v.width > 0 && v.height > 0) out += fmt::format(",RESOLUTION={}x{}", v.width, v.height);
    if (!v.codecs.empty()) out += fmt::format(",CODECS=\"{}\"", v.codecs);
    out += "\n" + v.uri + "\n";
  }
  return out;
}

}  // namespace cctv::hls
