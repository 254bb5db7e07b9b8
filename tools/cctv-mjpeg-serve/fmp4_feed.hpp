// SPDX-License-Identifier: MIT
// The capture thread's fMP4 muxing for MSE viewers: stream copy, one fragment per frame.
#pragma once

#include <memory>
#include <string>

#include "cctv/av.hpp"
#include "cctv/error.hpp"
#include "cctv/source.hpp"
#include "media_hub.hpp"

namespace cctv::mjpeg {

// Muxes a camera's packets, without decoding, into fragmented MP4 for a
// MediaHub: one fragment per video frame (with the audio since the previous
// one), in a variant with audio (AAC copied, anything else transcoded to AAC)
// and one without. One seamless timeline across reconnects (the outage is
// not in it: the next frame follows the last): a connection with the
// same stream parameters keeps the muxers and their init segments (viewers
// go on), one with new parameters gets new muxers and init segments.
// Thread safety: one thread at a time (the capture thread).
class Fmp4Feed {
 public:
  Fmp4Feed(std::shared_ptr<MediaHub> hub, std::string name);
  ~Fmp4Feed();
  Fmp4Feed(const Fmp4Feed&) = delete;
  Fmp4Feed& operator=(const Fmp4Feed&) = delete;

  // A new connection of `src` (its first packet comes next). `live_clock`:
  // arrival times are real time (a network camera, not a file or a pipe).
  void on_connection(Source& src, bool live_clock);
  // One packet of the current connection, any stream. Muxing failures are
  // logged and end the feed until the next connection; never an error for
  // the caller (MJPEG viewers go on).
  void handle(const AVPacket& pkt);

  struct State;  // implementation detail

 private:
  std::unique_ptr<State> s_;
};

}  // namespace cctv::mjpeg
