// SPDX-License-Identifier: MIT
// cctv-probe: what is at this camera URL?
#include "cctv/cli.hpp"
#include "options.hpp"

int main(int argc, char** argv) { return cctv::tool_main(argc, argv, cctv::probe::kSpec, cctv::probe::define); }
