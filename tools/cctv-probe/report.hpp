// SPDX-License-Identifier: MIT
// cctv-probe's output: a human-readable report or one JSON document.
#pragma once

#include <string>
#include <vector>

#include "probe.hpp"

namespace cctv::probe {

// One block per URL, aligned "key  value" lines (stable enough to grep, not
// meant for parsing: use --json).
std::string text_report(const std::vector<ProbeResult>& results);

// {"tool":"cctv-probe","version":...,"results":[...]} as documented in the
// man page; unknown values are null, never made up.
std::string json_report(const std::vector<ProbeResult>& results);

}  // namespace cctv::probe
