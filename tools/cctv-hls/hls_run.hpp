// SPDX-License-Identifier: MIT
// cctv-hls's body: one rendition, or several with a master playlist.
#pragma once

#include "cctv/error.hpp"
#include "hls_options.hpp"

namespace cctv::hls {

// Checks every output folder (exit 7 before any connection), then runs the
// renditions until a signal, the end of the input, or a fatal error; with
// --variant, each in its own thread under DIR/NAME/, and DIR/stream.m3u8 is
// the master playlist, written once every rendition has a segment and
// rewritten when a BANDWIDTH, RESOLUTION or CODECS value changes.
[[nodiscard]] Result<ExitCode> run(const Options& o);

}  // namespace cctv::hls
