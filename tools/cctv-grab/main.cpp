// SPDX-License-Identifier: MIT
// cctv-grab: a JPEG of the camera now, a timelapse, or a JPEG stream for a pipe.
#include "cctv/cli.hpp"
#include "options.hpp"

int main(int argc, char** argv) { return cctv::tool_main(argc, argv, cctv::grab::kSpec, cctv::grab::define); }
