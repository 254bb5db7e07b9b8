// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's body: hubs, capture threads and the HTTP server, until a signal.
#pragma once

#include "cctv/error.hpp"
#include "mjpeg_options.hpp"

namespace cctv::mjpeg {

// Runs the server: exit status 0 after SIGINT/SIGTERM, or an Error for
// tool_main to print (the listen address cannot be bound: exit 1). A camera
// that cannot be reached is not an error: it is retried and shown in /healthz.
[[nodiscard]] Result<ExitCode> run(const Options& o);

}  // namespace cctv::mjpeg
