// SPDX-License-Identifier: MIT
// cctv-record's options and their checks.
#include "record_options.hpp"

#include <memory>

#include <CLI/CLI.hpp>

#include "cctv/output.hpp"
#include "cctv/url.hpp"
#include "record.hpp"
#include "segment.hpp"
#include "units.hpp"

namespace cctv::embedded {
extern const char* const cctv_record_man_template;
}

namespace cctv::record {

const ToolSpec kSpec{
    "cctv-record",
    "Record a camera into segment files, crash-safe, with retention",
    embedded::cctv_record_man_template,
};

namespace {

// A CLI11 validator from one of the units.hpp parsers.
template <typename Parse>
CLI::Validator valid(Parse parse, const std::string& what) {
  return CLI::Validator(
      [parse, what](std::string& s) { return parse(s) ? std::string() : "not a valid " + what + ": " + s; }, "");
}

void add_output_options(CLI::App& app, Options& o) {
  app.add_option("-o,--output", o.output,
                 "Segment file pattern: strftime fields and {name}; the extension (.mp4, .mkv, .ts) picks the "
                 "container")
      ->required()
      ->type_name("PATTERN");
  app.add_option("--name", o.name, "Camera name, for {name} in the pattern")->type_name("NAME");
  app.add_option_function<std::string>(
         "--segment-time", [&o](const std::string& s) { o.segment_time = *parse_duration(s); },
         "Segment length, aligned to wall-clock boundaries (90s, 10m, 1h)")
      ->check(valid(parse_duration, "DURATION"))
      ->default_str("10m")
      ->type_name("DURATION");
  app.add_flag("--no-audio", o.no_audio, "Record video only");
  app.add_flag("--playlist", o.playlist,
               "Also write an HLS playlist per day over the files (byte ranges; MP4 and TS) and recordings.json");
}

void add_retention_options(CLI::App& app, Options& o) {
  const std::string group = "Retention";
  app.add_option_function<std::string>(
         "--keep", [&o](const std::string& s) { o.keep = parse_duration(s); },
         "Delete this camera's segments older than this (7d, 36h)")
      ->check(valid(parse_duration, "DURATION"))
      ->type_name("DURATION")
      ->group(group);
  app.add_option_function<std::string>(
         "--max-size", [&o](const std::string& s) { o.max_size = parse_size(s); },
         "Delete this camera's oldest segments while they total more than this (500M, 50G)")
      ->check(valid(parse_size, "SIZE"))
      ->type_name("SIZE")
      ->group(group);
  app.add_option_function<std::string>(
         "--min-free", [&o](const std::string& s) { o.min_free = parse_percent(s); },
         "Delete this camera's oldest segments while the output filesystem has less free space (10%)")
      ->check(valid(parse_percent, "PERCENT"))
      ->type_name("PERCENT")
      ->group(group);
}

void add_hook_options(CLI::App& app, Options& o) {
  app.add_option("--on-segment", o.on_segment,
                 "Shell command run for each finished segment, its path as argument $1")
      ->type_name("CMD");
  app.add_option("--hook-jobs", o.hook_jobs, "Most --on-segment commands running at once")
      ->check(CLI::Range(1, 64))
      ->default_str("2")
      ->type_name("N");
}

Status check_options(Options& o) {
  if (auto u = parse_source_url(o.url); !u) return fail(u.error());
  if (auto s = resolve_credentials(o.input); !s) return fail(s.error());
  if (o.name.find('/') != std::string::npos || o.name == "." || o.name == "..") {
    return fail(ExitCode::kUsage, "--name must not hold '/' or be '.' or '..'");
  }
  if (o.output.find("{name}") != std::string::npos && o.name.empty()) {
    return fail(ExitCode::kUsage, "the pattern uses {name}: give --name");
  }
  if (!container_for(o.output)) {
    return fail(ExitCode::kUsage, "the pattern must end in .mp4, .mkv or .ts: " + o.output);
  }
  if (o.playlist && *container_for(o.output) == Container::kMatroska) {
    return fail(ExitCode::kUsage, "--playlist works with .mp4 and .ts patterns (HLS cannot point into Matroska): " +
                                      o.output);
  }
  return check_pattern(o.output);
}

}  // namespace

ToolRun define(CLI::App& app) {
  auto o = std::make_shared<Options>();
  add_url_argument(app, o->url)->required();
  add_output_options(app, *o);
  add_retention_options(app, *o);
  add_hook_options(app, *o);
  add_input_options(app, o->input);
  add_live_options(app, o->live, "unlimited");
  return [o]() -> cctv::Result<ExitCode> {
    if (auto s = check_options(*o); !s) return fail(s.error());
    return run(*o);
  };
}

}  // namespace cctv::record
