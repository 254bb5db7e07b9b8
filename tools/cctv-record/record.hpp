// SPDX-License-Identifier: MIT
// cctv-record's options and entry point: segmented stream-copy recording with retention.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "cctv/cli.hpp"

namespace cctv::record {

struct Options {
  InputCliOptions input;
  LiveCliOptions live;
  std::string url;
  std::string output;  // -o PATTERN: strftime fields and {name}
  std::string name;    // --name, for {name}
  std::chrono::seconds segment_time{600};
  bool no_audio = false;
  bool playlist = false;  // --playlist: day playlists and recordings.json
  // Retention; unset: no limit of that kind.
  std::optional<std::chrono::seconds> keep;
  std::optional<std::uint64_t> max_size;  // bytes
  std::optional<double> min_free;         // percent of the output filesystem
  std::string on_segment;                 // shell command, the path as "$1"
  int hook_jobs = 2;                      // hooks running at once
};

// Records until a signal, the end of a file source, or a fatal error: the
// exit status, or an Error for tool_main to print (kOutput when the output
// folder is unusable at start).
[[nodiscard]] Result<ExitCode> run(const Options& o);

}  // namespace cctv::record
