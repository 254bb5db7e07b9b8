// SPDX-License-Identifier: MIT
// cctv-grab's command line.
#pragma once

#include "cctv/cli.hpp"

namespace cctv::grab {

extern const ToolSpec kSpec;

// Adds cctv-grab's options to `app` and returns the body tool_main runs.
ToolRun define(CLI::App& app);

}  // namespace cctv::grab
