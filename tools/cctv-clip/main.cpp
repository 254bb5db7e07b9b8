// SPDX-License-Identifier: MIT
// cctv-clip: a time range of cctv-record's files as one file, cut to the frame.
#include "cctv/cli.hpp"
#include "options.hpp"

int main(int argc, char** argv) { return cctv::tool_main(argc, argv, cctv::clip::kSpec, cctv::clip::define); }
