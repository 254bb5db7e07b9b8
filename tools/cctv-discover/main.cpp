// SPDX-License-Identifier: MIT
// cctv-discover: which ONVIF cameras are on this network, and what are their stream URLs?
#include "cctv/cli.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  return cctv::tool_main(argc, argv, cctv::discover::kSpec, cctv::discover::define);
}
