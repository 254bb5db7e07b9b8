// SPDX-License-Identifier: MIT
// Low-Latency HLS from the MSE fragments: parts, segments and the media playlist, in memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "media_hub.hpp"

namespace cctv::mjpeg {

// Ticks of the fragments' timeline (cctv::kTimeline, 90 kHz) per second.
inline constexpr std::int64_t kHlsTicks = 90000;

struct HlsConfig {
  std::int64_t segment_ticks = 2 * kHlsTicks;  // a segment ends at the first keyframe at or after this
  std::int64_t part_ticks = 29970;             // 0.333 s: every part is at most this long
  int window = 7;                              // complete segments kept (and listed)
  // For the MediaHub: feed the windows whether or not players ask (--always-on),
  // so that the first player starts on a full window.
  bool always = false;
};

// One partial segment: whole frames (fragments) back to back. Its number
// counts parts across segments (its URI: partN.m4s), so a preload hint can
// name it before anyone knows which segment it will belong to.
struct HlsPart {
  std::vector<std::uint8_t> bytes;
  std::int64_t duration = 0;  // ticks
  bool independent = false;   // starts with a keyframe
  std::uint64_t number = 0;
};
using HlsPartPtr = std::shared_ptr<const HlsPart>;

// What a blocking playlist request (_HLS_msn, _HLS_part) waits for.
struct HlsWant {
  std::optional<std::uint64_t> msn;
  std::optional<std::uint64_t> part;
};

// One variant's (with or without audio) Low-Latency HLS window, fed with the
// fragments the MSE viewers get (MediaHub::publish): a part closes as soon as
// another frame would not fit in the part target; a segment closes at the
// first keyframe at or after the segment target, at a new connection of the
// camera (EXT-X-DISCONTINUITY) and at a new init segment (a new EXT-X-MAP).
// A segment of a camera without keyframes closes at a part boundary after
// three segment targets. Segment numbers only increase, clear() included.
// Thread safety: every member is safe from any thread.
class HlsWindow {
 public:
  explicit HlsWindow(HlsConfig c = {}) : c_(c), target_s_(ceil_seconds(c.segment_ticks)) {}

  // --- the capture side ---
  void set_init(MediaInitPtr init);
  // `f` needs its duration and wall time; fragments before the first keyframe
  // after set_init() or clear() are skipped.
  void add(const MediaFragment& f);
  // Forgets every part and segment (the camera was disconnected, or no one
  // asked for a while); the next segment starts a discontinuity.
  void clear();

  // --- the request side ---
  enum class Ready { kYes, kWait, kTooFar };
  // Whether the playlist holds what `w` asks (RFC 8216bis 6.2.5.2): segment
  // msn complete, or part `part` of segment msn; with neither, at least one
  // complete segment. kTooFar: msn beyond the last segment + 2, or a part
  // beyond the last part by more than the advance part limit (400).
  // On kWait, `wake` (when given) is called once at the next change.
  Ready ready(const HlsWant& w, const std::function<void()>& wake = {});
  // The media playlist; `query` ("" or "?a=b&c=d", already encoded) is
  // appended to every URI in it.
  std::string playlist(std::string_view query) const;

  // The init segment of `generation` (the current one when absent), or null.
  MediaInitPtr init(std::optional<std::uint64_t> generation) const;
  // A complete segment's parts, in order; empty when it is not in the window.
  std::vector<HlsPartPtr> segment(std::uint64_t msn) const;
  // Part `number`: `pending` is set when it is the next part, still being
  // made (then `wake`, when given, is called once at the next change).
  HlsPartPtr part(std::uint64_t number, bool& pending, const std::function<void()>& wake = {});

  // The longest a blocking request should wait: three target durations.
  std::chrono::milliseconds block_limit() const;
  // Parts that fit in three seconds (or three parts when a part is a second or more).
  int advance_part_limit() const;

 private:
  struct Segment {
    std::uint64_t msn = 0;
    std::vector<HlsPartPtr> parts;
    std::int64_t duration = 0;  // ticks, parts included
    std::uint64_t generation = 0;
    bool discontinuity = false;
    std::chrono::system_clock::time_point wall{};  // when its first frame arrived
  };
  static int ceil_seconds(std::int64_t ticks) { return static_cast<int>((ticks + kHlsTicks - 1) / kHlsTicks); }
  void close_part();
  void close_segment();
  void notify();
  bool holds(const HlsWant& w) const;

  const HlsConfig c_;
  mutable std::mutex mu_;
  MediaInitPtr init_;                                  // current
  std::map<std::uint64_t, MediaInitPtr> inits_;        // by generation, while a segment uses one
  std::deque<Segment> done_;                           // complete segments, oldest first
  Segment open_;                                       // the segment being made
  std::vector<std::uint8_t> part_bytes_;               // the part being made
  std::int64_t part_duration_ = 0;
  bool part_independent_ = false;
  int part_frames_ = 0;
  std::uint64_t next_msn_ = 0;    // open_'s number
  std::uint64_t next_part_ = 0;   // the number of the part being made
  std::uint64_t discontinuities_ = 0;  // EXT-X-DISCONTINUITY tags removed with their segments
  bool want_key_ = true;          // skipping to a keyframe
  bool discontinuity_next_ = false;
  int target_s_;                  // EXT-X-TARGETDURATION: never decreases
  std::vector<std::function<void()>> waiters_;
  std::uint64_t version_ = 0;  // one more at every change
  // The last playlist made, for its query: the players that a new part
  // wakes all ask for the same one.
  mutable std::uint64_t made_version_ = ~std::uint64_t{0};
  mutable std::string made_query_, made_;
};

}  // namespace cctv::mjpeg
