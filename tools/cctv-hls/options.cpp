// SPDX-License-Identifier: MIT
// cctv-hls's options and their checks.
#include "hls_options.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include <CLI/CLI.hpp>

#include "cctv/url.hpp"
#include "hls_run.hpp"

namespace cctv::embedded {
extern const char* const cctv_hls_man_template;
}

namespace cctv::hls {

const ToolSpec kSpec{
    "cctv-hls",
    "Keep an HLS playlist and its segments current from a camera, for players served by nginx",
    embedded::cctv_hls_man_template,
};

namespace {

bool valid_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-';
         });
}

void add_output_options(CLI::App& app, Options& o) {
  app.add_option("-o,--output", o.output, "Folder of the playlist (stream.m3u8) and its segments; must exist")
      ->required()
      ->type_name("DIR");  // completed as a directory
  app.add_option("--segment-time", o.segment_time,
                 "Target segment length in seconds; a segment ends at the first keyframe at or after it")
      ->check(finite_range(0.1, 60.0))
      ->default_str("2")
      ->type_name("SECONDS");
  app.add_option("--list-size", o.list_size, "Segments listed in the playlist")
      ->check(CLI::Range(1, 10000))
      ->default_str("6")
      ->type_name("N");
  app.add_option_function<std::string>(
         "--segment-type",
         [&o](const std::string& v) { o.segment_type = v == "ts" ? SegmentType::kTs : SegmentType::kFmp4; },
         "Segment format: MPEG-TS or fragmented MP4 [default: ts for H.264; H.265 is always fmp4]")
      ->check(CLI::IsMember({"ts", "fmp4"}))
      ->type_name("TYPE");
  app.add_flag("--no-audio", o.no_audio, "Leave the camera's audio out");
  app.add_flag("--vod-on-exit", o.vod_on_exit,
               "End the playlist with EXT-X-ENDLIST on exit, so players treat it as a finished video");
  app.add_option("--variant", o.variant_args,
                 "A rendition NAME=URL (repeatable, instead of URL): writes DIR/NAME/stream.m3u8 for each and "
                 "a master playlist DIR/stream.m3u8")
      ->type_name("NAME=URL");
}

void add_encryption_options(CLI::App& app, Options& o) {
  const std::string group = "Encryption";
  app.add_flag("--encrypt", o.encrypt, "Encrypt segments with AES-128; key files key-N.key beside the playlist")
      ->group(group);
  app.add_option("--key-uri", o.key_uri,
                 "URI prefix of the key files in the playlist (EXT-X-KEY), e.g. https://keys.example/cam3/ "
                 "[default: relative to the playlist]")
      ->type_name("URI")
      ->group(group);
  app.add_option("--key-dir", o.key_dir,
                 "Write the key files to DIR (with --variant, DIR/NAME), e.g. a folder served with access "
                 "control [default: beside the playlist]")
      ->type_name("DIR")
      ->group(group);
  app.add_option("--key-rotate", o.key_rotate, "Use a new key every N segments; 0 keeps one key per run")
      ->check(CLI::Range(0, 1000000))
      ->default_str("0")
      ->type_name("N")
      ->group(group);
}

}  // namespace

Result<VariantSpec> parse_variant(std::string_view text) {
  auto n = parse_named_url("--variant", text, valid_name, "letters, digits, _ and -");
  if (!n) return fail(n.error());
  return VariantSpec{std::move(n->name), std::move(n->url)};
}

Status check_options(Options& o) {
  if (o.url.empty() == o.variant_args.empty()) {
    return fail(ExitCode::kUsage, "give either a URL or --variant NAME=URL (repeatable), not both");
  }
  if (!o.encrypt && (!o.key_uri.empty() || !o.key_dir.empty() || o.key_rotate != 0)) {
    return fail(ExitCode::kUsage, "--key-uri, --key-dir and --key-rotate need --encrypt");
  }
  std::set<std::string> names;
  for (const auto& arg : o.variant_args) {
    auto v = parse_variant(arg);
    if (!v) return fail(v.error());
    if (!names.insert(v->name).second) return fail(ExitCode::kUsage, "--variant: name '" + v->name + "' repeats");
    o.variants.push_back(std::move(*v));
  }
  if (!o.url.empty()) {
    if (auto p = parse_source_url(o.url); !p) return fail(p.error());
  }
  for (const auto& v : o.variants) {
    if (auto p = parse_source_url(v.url); !p) return fail(p.error());
  }
  return {};
}

ToolRun define(CLI::App& app) {
  auto o = std::make_shared<Options>();
  add_url_argument(app, o->url);
  add_output_options(app, *o);
  add_encryption_options(app, *o);
  add_input_options(app, o->input);
  add_live_options(app, o->live, "unlimited");
  return [o]() -> cctv::Result<ExitCode> {
    if (auto s = check_options(*o); !s) return fail(s.error());
    if (auto s = resolve_credentials(o->input); !s) return fail(s.error());
    return run(*o);
  };
}

}  // namespace cctv::hls
