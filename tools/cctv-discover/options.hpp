// SPDX-License-Identifier: MIT
// cctv-discover's command line.
#pragma once

#include "cctv/cli.hpp"

namespace cctv::discover {

extern const ToolSpec kSpec;

// Adds cctv-discover's options to `app` and returns the body tool_main runs.
ToolRun define(CLI::App& app);

}  // namespace cctv::discover
