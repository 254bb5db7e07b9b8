// SPDX-License-Identifier: MIT
// --check: does a stream URI really deliver video?
#pragma once

#include <string>

#include "cctv/source.hpp"
#include "onvif.hpp"

namespace cctv::discover {

// Opens `uri` with the capture library (credentials from `opts`, which
// override the URI's) and reads until the first video keyframe, within
// opts.timeout per read. Never fails: a failure is a StreamCheck with a code
// and a redacted one-line error.
[[nodiscard]] StreamCheck check_stream(const std::string& uri, const SourceOptions& opts);

}  // namespace cctv::discover
