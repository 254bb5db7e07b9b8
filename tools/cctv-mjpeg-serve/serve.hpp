// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's body: hubs, capture threads and the HTTP server, until a signal.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cctv/error.hpp"
#include "mjpeg_options.hpp"

namespace cctv::mjpeg {

// Descriptors kept back from stream viewers: standard streams, the listening
// socket, the event loop, logs and files, and each camera's sockets (RTSP,
// and RTP with RTCP per track over UDP).
inline constexpr std::uint64_t kReservedFds = 64;
inline constexpr std::uint64_t kFdsPerCamera = 8;

// The most stream viewers that an open-file limit of `fd_limit` leaves room
// for with `cameras` cameras: the limit less the reserve, at least 1.
int viewer_capacity(std::uint64_t fd_limit, std::size_t cameras);

// Runs the server: exit status 0 after SIGINT/SIGTERM, or an Error for
// tool_main to print (the listen address cannot be bound: exit 1). A camera
// that cannot be reached is not an error: it is retried and shown in /healthz.
[[nodiscard]] Result<ExitCode> run(const Options& o);

}  // namespace cctv::mjpeg
