// SPDX-License-Identifier: MIT
// cctv-clip's options.
#include "options.hpp"

#include <memory>

#include <CLI/CLI.hpp>

#include "clip.hpp"

namespace cctv::embedded {
extern const char* const cctv_clip_man_template;
}

namespace cctv::clip {

const ToolSpec kSpec{
    "cctv-clip",
    "Cut a time range out of cctv-record's files into one file",
    embedded::cctv_clip_man_template,
};

namespace {

void add_range_options(CLI::App& app, Options& o) {
  const std::string group = "Range";
  app.add_option("--from", o.from,
                 "Start: 2026-12-06T10:03:12 (local, TZ), ...Z or ...+01:00, 10:03:12 (today), -10m (ago)")
      ->type_name("TIME")
      ->group(group);
  auto* to = app.add_option("--to", o.to, "End (exclusive), as --from")->type_name("TIME")->group(group);
  app.add_option("--duration", o.duration, "Length instead of --to (90s, 10m, 1h30m)")
      ->type_name("DURATION")
      ->excludes(to)
      ->group(group);
}

void add_output_options(CLI::App& app, Options& o) {
  app.add_option("-o,--output", o.output,
                 "Clip file; the extension (.mp4, .mov, .mkv, .ts) picks the container; - writes fragmented MP4 "
                 "to stdout")
      ->type_name("FILE");
  app.add_option_function<std::string>(
         "--cut", [&o](const std::string& v) { o.cut = v == "exact" ? CutMode::kExact : CutMode::kKeyframe; },
         "exact: from the frame at --from, the frames before it hidden by an edit list (MP4, MOV); keyframe: from "
         "the keyframe at or before --from [default: exact for MP4/MOV, keyframe otherwise]")
      ->check(CLI::IsMember({"exact", "keyframe"}))
      ->type_name("MODE");
  app.add_option_function<std::string>(
         "--gaps",
         [&o](const std::string& v) {
           o.gaps = v == "collapse" ? GapMode::kCollapse : v == "fail" ? GapMode::kFail : GapMode::kKeep;
         },
         "Outages in the range: keep (wall time kept, the picture holds), collapse (joined end to end), fail "
         "(exit 5)")
      ->check(CLI::IsMember({"keep", "collapse", "fail"}))
      ->default_str("keep")
      ->type_name("MODE");
  app.add_flag("--no-audio", o.no_audio, "Leave the audio out");
}

}  // namespace

ToolRun define(CLI::App& app) {
  auto o = std::make_shared<Options>();
  app.add_option("PATTERN", o->pattern,
                 "The -o pattern cctv-record wrote the files with (strftime fields, {name}); quote it")
      ->required()
      ->type_name("PATTERN");
  app.add_option("--name", o->name, "Camera name, for {name} in the pattern")->type_name("NAME");
  add_range_options(app, *o);
  add_output_options(app, *o);
  app.add_flag("--list", o->list, "List the recorded spans and gaps (over --from/--to if given) instead of clipping");
  app.add_flag("--json", o->json, "With --list: one JSON document (see JSON OUTPUT in the man page)");
  return [o]() -> Result<ExitCode> { return run(*o); };
}

}  // namespace cctv::clip
