// SPDX-License-Identifier: MIT
// cctv-clip's command line.
#pragma once

#include "cctv/cli.hpp"

namespace cctv::clip {

extern const ToolSpec kSpec;

// Adds cctv-clip's options to `app` and returns the body tool_main runs.
ToolRun define(CLI::App& app);

}  // namespace cctv::clip
