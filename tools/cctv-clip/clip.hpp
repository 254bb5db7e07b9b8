// SPDX-License-Identifier: MIT
// cctv-clip's options and entry point: a time range of cctv-record's files as one file.
#pragma once

#include <string>

#include "cctv/cli.hpp"

namespace cctv::clip {

enum class GapMode { kKeep, kCollapse, kFail };
enum class CutMode { kDefault, kExact, kKeyframe };

struct Options {
  std::string pattern;  // cctv-record's -o PATTERN
  std::string name;     // --name, for {name}
  std::string from, to, duration;  // as given
  std::string output;   // -o FILE, "-" for stdout
  CutMode cut = CutMode::kDefault;
  GapMode gaps = GapMode::kKeep;
  bool no_audio = false;
  bool list = false;
  bool json = false;
};

// Clips (or lists, with --list) and returns the exit status, or an Error for
// tool_main to print: kUsage (times, options), kNotFound (nothing recorded
// in the range; a gap with --gaps fail), kUnsupported (the video parameters
// change within the range), kOutput (the output cannot be written; nothing
// is left behind).
[[nodiscard]] Result<ExitCode> run(const Options& o);

}  // namespace cctv::clip
