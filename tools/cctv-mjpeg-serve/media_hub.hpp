// SPDX-License-Identifier: MIT
// The per-camera fMP4 meeting point: the init segment, the cache of the current
// GOP, and each MSE viewer's bounded queue.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cctv::mjpeg {

class HlsWindow;
struct HlsConfig;

using MediaClock = std::chrono::steady_clock;

// ftyp + moov of one muxer run, with the MIME type a MediaSource needs.
struct MediaInit {
  std::vector<std::uint8_t> bytes;
  std::string mime;  // video/mp4; codecs="avc1.4d401f,mp4a.40.2"
  std::uint64_t generation = 0;  // 1, 2, ... per camera: a new one after a parameter change
};
using MediaInitPtr = std::shared_ptr<const MediaInit>;

// One fragment (moof + mdat) holding one video frame and the audio since the
// previous one; shared read-only by every viewer that sends it.
struct MediaFragment {
  std::vector<std::uint8_t> bytes;
  bool key = false;  // starts with a keyframe
  bool discontinuity = false;  // the first of a new connection of the camera
  std::int64_t duration = 0;   // of its frame, on cctv::kTimeline (90 kHz)
  MediaClock::time_point made{};
  std::chrono::system_clock::time_point wall{};  // when it was made, for EXT-X-PROGRAM-DATE-TIME
};
using MediaFragmentPtr = std::shared_ptr<const MediaFragment>;

// Limits of a viewer's queue: when what waits in it would exceed either, the
// viewer skips to the next keyframe (never the camera or the others wait).
struct QueueLimits {
  std::size_t max_bytes = 8u << 20;
  std::chrono::milliseconds max_wait{2000};  // the oldest fragment waiting
};

// A viewer's queue. put*() from the capture thread, take() from the viewer.
class MediaQueue {
 public:
  explicit MediaQueue(QueueLimits limits) : limits_(limits) {}

  // Called (under the queue's lock: must not call back) after each put; the
  // viewer posts itself a wake-up. Once set_wake() returns, the previous
  // function is no longer running or called.
  void set_wake(std::function<void()> wake);

  // A new init segment: whatever waits is dropped, the init goes first.
  void put_init(MediaInitPtr init);
  // Appends `f`, or skips: while skipping, fragments up to the next keyframe
  // are dropped. Returns true when this put started a skip.
  bool put(const MediaFragmentPtr& f, MediaClock::time_point now);
  // The camera's video cannot go through MSE (MJPEG): the viewer should end.
  void put_end(std::string why);

  struct Batch {
    MediaInitPtr init;  // non-null: send it (and its MIME type) first
    std::vector<MediaFragmentPtr> fragments;
    std::string end;    // non-empty: the stream ends, with this reason
  };
  Batch take();

  std::uint64_t skips() const;

 private:
  const QueueLimits limits_;
  mutable std::mutex mu_;
  std::function<void()> wake_;
  MediaInitPtr init_;
  struct Waiting {
    MediaFragmentPtr fragment;
    MediaClock::time_point queued;
  };
  std::deque<Waiting> waiting_;
  std::size_t bytes_ = 0;
  bool skipping_ = true;  // until a keyframe
  std::string end_;
  std::uint64_t skips_ = 0;
};

// The MSE side of a camera, as /healthz and /metrics show it.
struct MediaStats {
  int viewers = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t fragments_out = 0;
  std::uint64_t skips = 0;             // a slow viewer skipped to the next keyframe
  std::uint64_t gop_cache_bytes = 0;   // of the variant with audio, or the only one
  std::uint64_t generations = 0;       // init segments made (1 + parameter changes)
  int hls_sessions = 0;                // clients that asked for the LL-HLS playlist in the last 10 s
  std::uint64_t hls_blocked = 0;       // playlist and part requests waiting now
  std::uint64_t hls_playlists = 0;     // playlists served
  std::uint64_t hls_parts = 0;         // parts served
  std::uint64_t hls_segments = 0;      // segments served
};

// One camera's fMP4 output, in up to two variants: with the camera's audio
// (AAC, copied or transcoded) and without it (?audio=0). Each variant has its
// init segment and the fragments since its last keyframe, which a new viewer
// gets at once. Thread safety: every member is safe from any thread.
class MediaHub {
 public:
  static constexpr int kVideoOnly = 0, kWithAudio = 1;

  explicit MediaHub(QueueLimits limits = {});
  MediaHub(QueueLimits limits, const HlsConfig& hls);
  ~MediaHub();
  MediaHub(const MediaHub&) = delete;
  MediaHub& operator=(const MediaHub&) = delete;

  // --- the capture side ---
  // The camera's video can (true) or cannot (false, with the reason) go
  // through MSE; false ends every viewer and refuses new ones.
  void set_supported(bool supported, std::string why = {});
  // Whether the camera (its current connection) has an audio variant.
  void set_audio(bool has_audio);
  // A new init segment for `variant`: every viewer of it starts over from it.
  void publish_init(int variant, MediaInitPtr init);
  void publish(int variant, MediaFragmentPtr f);

  // --- the viewer side ---
  // A viewer that wants audio (when the camera has it). Its queue gets the
  // variant's init and cached GOP at once, if there are any.
  std::shared_ptr<MediaQueue> subscribe(bool audio);
  void unsubscribe(const std::shared_ptr<MediaQueue>& q);
  // Empty while MSE can serve the camera (or nothing is known yet).
  std::string unsupported() const;

  // --- LL-HLS ---
  // A request of `client` (its address) for the LL-HLS stream with or
  // without audio: the windows are fed from now on (starting with the
  // cached GOP), until no request came for 30 s. Returns the window of the
  // variant the request gets.
  HlsWindow& hls(bool audio, const std::string& client);
  enum class HlsServed { kPlaylist, kPart, kSegment };
  void count_hls(HlsServed what);
  // A request starts (+1) or stops (-1) waiting for the window.
  void count_hls_blocked(int delta);

  // The camera was disconnected for want of viewers: what was cached (GOP,
  // LL-HLS windows) is stale, and the next viewer waits for new video.
  void drop_cache();

  int viewers() const;
  // MSE viewers, or an LL-HLS request within `within`.
  bool wanted(MediaClock::time_point now, std::chrono::milliseconds within) const;
  // Time since the last viewer left or the last LL-HLS request (0 while there is a viewer).
  std::chrono::milliseconds idle_for(MediaClock::time_point now) const;
  void count_sent(std::size_t bytes);
  MediaStats stats() const;

 private:
  struct Variant {
    MediaInitPtr init;
    std::vector<MediaFragmentPtr> gop;  // since the last keyframe
    std::size_t gop_bytes = 0;
  };
  struct Viewer {
    std::shared_ptr<MediaQueue> queue;
    bool audio = false;
  };
  int variant_of(bool audio) const { return audio && has_audio_ ? kWithAudio : kVideoOnly; }
  void start(MediaQueue& q, const Variant& v, MediaClock::time_point now);

  const QueueLimits limits_;
  mutable std::mutex mu_;
  Variant variants_[2];
  std::vector<Viewer> viewers_;
  bool has_audio_ = false;
  std::string unsupported_;
  MediaClock::time_point idle_since_ = MediaClock::now();
  std::uint64_t generations_ = 0;
  std::uint64_t skips_ = 0;
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::uint64_t> fragments_out_{0};
  // LL-HLS: one window per variant, both fed (so that their numbers agree)
  // while requests come.
  std::unique_ptr<HlsWindow> hls_[2];
  const bool hls_always_;
  bool hls_fed_ = false;
  MediaClock::time_point last_hls_{};
  std::map<std::string, MediaClock::time_point> hls_clients_;  // by address: the last request
  std::atomic<std::uint64_t> hls_blocked_{0};
  std::atomic<std::uint64_t> hls_served_[3] = {0, 0, 0};
};

}  // namespace cctv::mjpeg
