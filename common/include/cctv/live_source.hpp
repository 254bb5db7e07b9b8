// SPDX-License-Identifier: MIT
// A camera connection that survives camera loss: packets in, reconnects with backoff.
#pragma once

#include <chrono>
#include <string>

#include "cctv/backoff.hpp"
#include "cctv/source.hpp"

namespace cctv {

struct LiveOptions {
  SourceOptions source;
  BackoffPolicy backoff;  // backoff.max_retries: -1 forever, 0 never reconnect
  // No packet for this long counts as a disconnect (CONVENTIONS); so does a
  // connection whose video brings no keyframe for kKeyframeStalls times as
  // long (nothing can be decoded or recorded from it; long-GOP "smart"
  // codecs send one every 10 to 16 s, hence the factor).
  std::chrono::milliseconds stall_timeout{10'000};
  static constexpr int kKeyframeStalls = 3;
};

// Reads packets from a camera, reconnecting with backoff when it drops or
// stalls, or when its video never brings a keyframe (see LiveOptions). An
// outage is logged as OutageLog says, and ends at the first keyframe. A
// failure on the first connection that retrying cannot fix (bad URL,
// authentication, not found, unsupported) is returned at once; after the
// camera has worked once, everything but a usage error is retried, since
// cameras answer 401/404 for a while when they reboot.
//
// Thread safety: one thread at a time.
class LiveSource {
 public:
  LiveSource(std::string url, LiveOptions opts);

  // Reads the next packet, connecting or reconnecting first as needed.
  // Returns false at the end of a file source; a network source that ends
  // its stream is a lost camera and is reconnected. Errors: the first connect's
  // fatal failures, retries exhausted (the last failure), or kFailure
  // "interrupted" once a stop was requested (signals.hpp).
  [[nodiscard]] Result<bool> read(AVPacket* pkt);

  // The current connection; nullptr before the first read and while
  // reconnecting. Stream indexes stay valid until the next reconnect.
  Source* source() { return source_ ? &*source_ : nullptr; }

  // True once after each (re)connection, before its first packet: callers
  // reset decoders and mark discontinuities.
  [[nodiscard]] bool take_new_connection();

  // True once this connection's video brought a keyframe (the packet just
  // read included), or at once when the stream has no video.
  bool keyframe_seen() const { return keyframe_seen_; }
  int reconnects() const { return reconnects_; }
  bool connected() const { return source_.has_value(); }
  const std::string& display_url() const { return display_url_; }

 private:
  Status connect();
  [[nodiscard]] Status wait_before_retry(const Error& why);
  // Notes a video keyframe; with `enforce` (network sources), once
  // kKeyframeStalls x stall_timeout have passed on this connection without
  // one, the error that ends it.
  std::optional<Error> check_keyframe(const AVPacket& pkt, bool enforce);

  std::string url_;
  std::string display_url_;
  LiveOptions opts_;
  Backoff backoff_;
  OutageLog outage_;
  std::optional<Source> source_;
  bool ever_connected_ = false;
  bool new_connection_ = false;
  bool keyframe_seen_ = false;      // on this connection
  Clock::time_point connected_at_;  // of this connection
  int reconnects_ = 0;
};

}  // namespace cctv
