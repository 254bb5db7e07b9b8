// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve: live views of cameras for any browser, one encode per camera.
#include "cctv/cli.hpp"
#include "mjpeg_options.hpp"

int main(int argc, char** argv) { return cctv::tool_main(argc, argv, cctv::mjpeg::kSpec, cctv::mjpeg::define); }
