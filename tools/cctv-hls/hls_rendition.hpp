// SPDX-License-Identifier: MIT
// One camera to one HLS playlist: the packet loop that cuts segments on
// keyframes, survives reconnects, and finishes cleanly on a stop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "cctv/error.hpp"
#include "hls_options.hpp"

namespace cctv::hls {

// What a master playlist says about a rendition, known after its first segment.
struct RenditionFacts {
  std::int64_t peak_bandwidth = 0;     // bits/s of the largest segment so far
  std::int64_t average_bandwidth = 0;  // bits/s over the segments so far
  int width = 0, height = 0;
  std::string codecs;  // "avc1.4d401f,mp4a.40.2"
};

struct RenditionConfig {
  std::string url;
  std::filesystem::path dir;      // where stream.m3u8 and the segments go
  std::filesystem::path key_dir;  // where key files go (--encrypt); empty: dir
  std::string label;              // for log lines and STATUS: the variant name, or empty
  // Called after every published segment (from the rendition's thread).
  std::function<void(const RenditionFacts&)> on_segment;
};

// Checks the rendition's output and key folders: kOutput when one is missing
// or unwritable. Call for every rendition before any connects.
[[nodiscard]] Status check_output(const RenditionConfig& config);

// Runs one rendition until a stop is requested (exit 0 after the last
// segment is listed), the source ends (a file: the playlist gets
// EXT-X-ENDLIST), or a failure that reconnecting cannot fix (its Error).
[[nodiscard]] Result<ExitCode> run_rendition(const Options& o, const RenditionConfig& config);

}  // namespace cctv::hls
