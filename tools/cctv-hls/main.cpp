// SPDX-License-Identifier: MIT
// cctv-hls: an HLS playlist and its segments from a camera, kept current.
#include "cctv/cli.hpp"
#include "hls_options.hpp"

int main(int argc, char** argv) { return cctv::tool_main(argc, argv, cctv::hls::kSpec, cctv::hls::define); }
