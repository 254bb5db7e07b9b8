// SPDX-License-Identifier: MIT
// The per-camera fMP4 meeting point: the init segment, the cache of the current
// GOP, and each MSE viewer's bounded queue.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cctv::mjpeg {

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
  MediaClock::time_point made{};
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
};

// One camera's fMP4 output, in up to two variants: with the camera's audio
// (AAC, copied or transcoded) and without it (?audio=0). Each variant has its
// init segment and the fragments since its last keyframe, which a new viewer
// gets at once. Thread safety: every member is safe from any thread.
class MediaHub {
 public:
  static constexpr int kVideoOnly = 0, kWithAudio = 1;

  explicit MediaHub(QueueLimits limits = {}) : limits_(limits) {}

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

  int viewers() const;
  // Time since the last viewer left (0 while there is one).
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
};

}  // namespace cctv::mjpeg
