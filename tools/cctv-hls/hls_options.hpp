// SPDX-License-Identifier: MIT
// (Named hls_options.hpp, not options.hpp: the unit test binary sees every tool's folder.)
// cctv-hls's command line: the options, and the pure checks of --variant.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/cli.hpp"

namespace cctv::hls {

extern const ToolSpec kSpec;

// --segment-type: ts for H.264 and fmp4 for H.265 unless given (H.265 is
// always fMP4: Apple players only take HEVC as hvc1 in fMP4).
enum class SegmentType { kAuto, kTs, kFmp4 };

struct VariantSpec {
  std::string name;  // [A-Za-z0-9_-]+, unique: the subfolder DIR/NAME/
  std::string url;
};

struct Options {
  InputCliOptions input;
  LiveCliOptions live;
  std::string url;                        // the positional URL (one rendition)
  std::vector<std::string> variant_args;  // --variant NAME=URL
  std::vector<VariantSpec> variants;      // filled by define(): the parsed --variant list
  std::filesystem::path output;           // -o DIR
  double segment_time = 2.0;              // seconds; cut at the first keyframe at or after it
  int list_size = 6;
  SegmentType segment_type = SegmentType::kAuto;
  bool no_audio = false;
  bool vod_on_exit = false;
  bool encrypt = false;
  std::string key_uri;            // prefix of the key file names in EXT-X-KEY; empty: relative
  std::filesystem::path key_dir;  // where key files go; empty: beside the playlist
  int key_rotate = 0;             // a new key every N segments; 0: one key per run
};

// Parses "NAME=URL" (kUsage on a bad name or an empty URL). The message never
// shows the URL's password.
[[nodiscard]] Result<VariantSpec> parse_variant(std::string_view text);

// Checks the combination of options (one URL or --variant, not both; names
// unique; --key-uri/--key-dir/--key-rotate only with --encrypt) and fills o.variants.
[[nodiscard]] Status check_options(Options& o);

// Adds cctv-hls's options to `app` and returns the body tool_main runs.
ToolRun define(CLI::App& app);

}  // namespace cctv::hls
