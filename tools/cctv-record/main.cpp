// SPDX-License-Identifier: MIT
// cctv-record: continuous segmented recording of a camera, with retention.
#include "cctv/cli.hpp"
#include "record_options.hpp"

int main(int argc, char** argv) { return cctv::tool_main(argc, argv, cctv::record::kSpec, cctv::record::define); }
