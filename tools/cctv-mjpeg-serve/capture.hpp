// SPDX-License-Identifier: MIT
// One capture thread per camera: connect on demand, decode and encode once, publish to the hub.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "hub.hpp"
#include "mjpeg_options.hpp"

namespace cctv::mjpeg {

// Runs a camera's capture loop on its own thread: connects while the hub or
// the media hub has demand (or always with --always-on, or for stdin), disconnects after
// --idle-timeout without any, reconnects with backoff after a loss, decodes
// and encodes only while frames are wanted, and passes MJPEG through when no
// size or quality change is asked. While connected, every packet is also
// stream-copied into fMP4 for the media hub (no decode). Ends at stop_requested() (signals.hpp),
// when --retries is exhausted, or at the end of stdin.
class Capture {
 public:
  Capture(CameraSpec camera, const Options& o, std::shared_ptr<Hub> hub);
  ~Capture();  // finish(2 s)
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Waits up to `timeout` for the thread to end once a stop was requested
  // (every read of the library, stdin's included, ends within ~100 ms); a
  // thread still running after that is detached, never waited for forever.
  void finish(std::chrono::milliseconds timeout);

  // Implementation detail (public only for the loop's helpers in capture.cpp).
  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace cctv::mjpeg
