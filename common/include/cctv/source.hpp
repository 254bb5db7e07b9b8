// SPDX-License-Identifier: MIT
// Opening a camera (or file, or lavfi graph) and reading its packets, never hanging.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cctv/av.hpp"
#include "cctv/error.hpp"
#include "cctv/url.hpp"

namespace cctv {

// RTSP lower transport. kAuto: TCP (interleaved), and UDP only when the
// camera refuses TCP with 461 Unsupported Transport.
enum class Transport { kAuto, kTcp, kUdp };

struct SourceOptions {
  Transport transport = Transport::kAuto;
  std::chrono::milliseconds timeout{10'000};  // connect, and every read
  // Deadline of each read once connected, when it differs (--stall-timeout).
  std::optional<std::chrono::milliseconds> read_timeout;
  // Credentials that override the URL's userinfo (from --user and a
  // password source). Empty user: use the URL's.
  std::string user;
  std::string password;
  // Abort blocking I/O as soon as a termination signal arrives (signals.hpp).
  bool abort_on_signal = true;
};

// An open source. Opening never calls avformat_find_stream_info: stream
// parameters come from the session description (RTSP SDP), the container
// header, or later from the first decoded frame. The AVFormatContext stays
// reachable for tools that need more.
//
// Thread safety: one thread at a time per Source.
class Source {
 public:
  // Connects and starts the stream (RTSP PLAY sent). Failures are classified
  // into CONVENTIONS exit codes: kUsage (bad URL), kUnreachable (refused, DNS,
  // no route, timeout), kAuth (401/403), kNotFound (404, missing file, no video
  // stream), kUnsupported (unknown format, or the camera refuses the asked
  // RTSP transport), kFailure otherwise. The message names the redacted URL.
  // With Transport::kAuto, a camera that refuses TCP is opened again over UDP
  // within the same deadline, and a notice says so; transport_name() tells.
  [[nodiscard]] static Result<Source> open(std::string_view url, const SourceOptions& opts);

  Source(Source&&) noexcept;
  Source& operator=(Source&&) noexcept;
  ~Source();

  // Reads the next packet of any stream into `pkt` (unreferenced first). Each
  // call has its own deadline of opts.timeout. Returns false at the end of a
  // file; a timeout is kUnreachable, a signal kFailure ("interrupted").
  [[nodiscard]] Result<bool> read(AVPacket* pkt);

  AVFormatContext* format() const;
  // The first video stream, or nullptr (open() guarantees one exists).
  AVStream* video() const;
  // The first audio stream, or nullptr.
  AVStream* audio() const;

  const SourceUrl& url() const;
  // The URL as it may be printed (credentials redacted).
  const std::string& display_url() const;
  // "tcp", "udp", "file", "lavfi", "http", "stdin": the transport in use.
  std::string_view transport_name() const;

  // Implementation detail (public only so FFmpeg's C interrupt callback can
  // reach it).
  struct State;

 private:
  explicit Source(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// Classifies an FFmpeg error code from opening or reading `url` into an Error
// (exported for unit tests). `timed_out` marks a deadline expiry, which FFmpeg
// reports misleadingly ("Invalid data found", "Immediate exit requested").
[[nodiscard]] Error classify_av_error(int averror, std::string_view display_url,
                                      bool timed_out, std::chrono::milliseconds timeout);

}  // namespace cctv
