// SPDX-License-Identifier: MIT
// cctv-probe's command line.
#pragma once

#include "cctv/cli.hpp"

namespace cctv::probe {

extern const ToolSpec kSpec;

// Adds cctv-probe's options to `app` and returns the body tool_main runs.
ToolRun define(CLI::App& app);

}  // namespace cctv::probe
