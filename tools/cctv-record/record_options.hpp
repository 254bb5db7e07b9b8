// SPDX-License-Identifier: MIT
// cctv-record's command line.
#pragma once

#include "cctv/cli.hpp"

namespace cctv::record {

extern const ToolSpec kSpec;

// Adds cctv-record's options to `app` and returns the body tool_main runs.
ToolRun define(CLI::App& app);

}  // namespace cctv::record
