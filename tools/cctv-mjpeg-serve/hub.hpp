// SPDX-License-Identifier: MIT
// The per-camera hub: the newest JPEG, the viewers' one-frame slots, and the camera's counters.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cctv/pace.hpp"
#include "ll_hls.hpp"
#include "media_hub.hpp"

namespace cctv::mjpeg {

using SteadyClock = std::chrono::steady_clock;

// One encoded picture, shared read-only by every viewer that sends it.
struct Jpeg {
  std::vector<std::uint8_t> bytes;
  std::uint64_t seq = 0;               // 1, 2, ... per camera
  SteadyClock::time_point captured{};  // when the capture thread published it
};
using JpegPtr = std::shared_ptr<const Jpeg>;

// A viewer's newest-wins mailbox: holds at most one frame; a frame put while
// the previous one is still unread replaces it and counts as dropped, so a
// slow viewer costs one frame of memory at most.
// Thread safety: put() from the capture thread, take() from the viewer's strand.
class ViewerSlot {
 public:
  // Called (from the capture thread, under the slot's lock: it must not call
  // back into the slot) after each put(); the viewer posts itself a wake-up.
  // May be empty; once set_wake() returns the previous function is no longer
  // running or called.
  void set_wake(std::function<void()> wake);
  // Stores `frame`; true when it replaced an unread one (a dropped frame,
  // also counted in dropped()).
  bool put(JpegPtr frame);
  // The unread frame, or nullptr; leaves the slot empty.
  JpegPtr take();
  std::uint64_t dropped() const;

 private:
  mutable std::mutex mu_;
  JpegPtr frame_;
  std::uint64_t dropped_ = 0;
  std::function<void()> wake_;
};

// The state of a camera's connection as shown by /healthz and /metrics.
struct CameraStats {
  bool connected = false;
  bool failed = false;           // gave up (--retries exhausted) or stdin ended
  double fps = 0;                // frames received per second, over the last 2 s
  std::optional<double> last_frame_age_s;  // since the last frame received
  int viewers = 0;               // stream viewers now
  std::uint64_t frames_in = 0;   // video frames received from the camera
  std::uint64_t frames_published = 0;
  std::uint64_t frames_out = 0;  // parts sent to viewers, all together
  std::uint64_t bytes_out = 0;
  std::uint64_t dropped_frames = 0;  // frames replaced unread in a viewer's slot
  std::uint64_t reconnects = 0;
  double encode_seconds = 0;
  std::string last_error;
  MediaStats media;  // the MSE side
};

// One camera's meeting point between its capture thread and its viewers.
// Thread safety: every member is safe to call from any thread.
class Hub {
 public:
  Hub(std::string name, std::string display_url, const HlsConfig& hls = {});

  const std::string& name() const { return name_; }
  const std::string& display_url() const { return display_url_; }  // redacted
  // The camera's fMP4 side (MSE viewers), fed by the same capture thread.
  const std::shared_ptr<MediaHub>& media() const { return media_; }

  // A viewer (or a waiting snapshot) wants frames from now on. A stream
  // viewer counts in stats().viewers. The newest frame, if younger than
  // `fresh`, is put into the slot at once so a new viewer starts without
  // waiting for the next frame.
  void subscribe(const std::shared_ptr<ViewerSlot>& slot, bool stream,
                 std::chrono::milliseconds fresh = std::chrono::milliseconds(1000));
  void unsubscribe(const std::shared_ptr<ViewerSlot>& slot, bool stream);

  // Number of subscribed slots: the capture decodes only while it is > 0.
  int demand() const;
  // Time since demand last fell to 0 (0 while there is demand).
  std::chrono::milliseconds idle_for(SteadyClock::time_point now) const;
  // Blocks until demand() > 0 or `timeout` passes; true when there is demand.
  bool wait_for_demand(std::chrono::milliseconds timeout);

  // Makes `jpeg` the newest frame and hands it to every subscribed slot.
  void publish(std::vector<std::uint8_t> bytes, double encode_seconds);
  // The newest frame, or nullptr before the first.
  JpegPtr latest() const;

  void set_connected(bool connected);
  // A video frame arrived from the camera (the fps and last-frame-age figures).
  void count_frame_in();
  void count_reconnect() { reconnects_.fetch_add(1, std::memory_order_relaxed); }
  void count_sent(std::size_t bytes);
  void set_failed(std::string why);
  void set_error(std::string why);

  CameraStats stats(SteadyClock::time_point now) const;

 private:
  const std::string name_;
  const std::string display_url_;
  const std::shared_ptr<MediaHub> media_;
  mutable std::mutex mu_;
  std::condition_variable demand_cv_;
  JpegPtr latest_;
  std::vector<std::shared_ptr<ViewerSlot>> slots_;
  int stream_viewers_ = 0;
  SteadyClock::time_point idle_since_ = SteadyClock::now();
  bool connected_ = false;
  bool failed_ = false;
  std::string last_error_;
  double encode_seconds_ = 0;
  // Arrival times of the last frames, for the fps figure.
  std::vector<SteadyClock::time_point> recent_;
  std::size_t recent_next_ = 0;
  std::optional<SteadyClock::time_point> last_in_;
  std::atomic<std::uint64_t> frames_in_{0};
  std::atomic<std::uint64_t> frames_out_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> reconnects_{0};
};

}  // namespace cctv::mjpeg
