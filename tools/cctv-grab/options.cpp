// SPDX-License-Identifier: MIT
// cctv-grab's options and their checks.
#include "options.hpp"

#include <memory>

#include <CLI/CLI.hpp>

#include "cctv/output.hpp"
#include "grab.hpp"

namespace cctv::embedded {
extern const char* const cctv_grab_man_template;
}

namespace cctv::grab {

const ToolSpec kSpec{
    "cctv-grab",
    "Write a JPEG snapshot of a camera, a timelapse, or a stream of JPEGs for a pipe",
    embedded::cctv_grab_man_template,
};

namespace {

void add_output_options(CLI::App& app, Options& o) {
  app.add_option("-o,--output", o.output,
                 "Output file or pattern (strftime fields, %N sequence number); - for stdout "
                 "[default: snapshot.jpg, or - with --stream]")
      ->type_name("FILE");
  add_jpeg_options(app, o.jpeg, o.quality_given);
  app.add_flag("--keyframe", o.keyframe_only, "Use keyframes only; cheaper for long timelapse intervals");
}

void add_series_options(CLI::App& app, Options& o) {
  app.add_option("--count", o.count, "Number of JPEGs to write; 0 until stopped [default: 1, or 0 with --stream]")
      ->check(CLI::Range(0L, 1000000000L))
      ->type_name("N");
  app.add_option("--interval", o.interval, "Seconds between timelapse shots")
      ->check(finite_range(0.01, 86400.0))
      ->default_str("1")
      ->type_name("SECONDS");
  auto* stream = app.add_flag("--stream", o.stream, "Write a continuous stream of JPEGs (to stdout by default)");
  app.add_option_function<std::string>(
         "--format", [&o](const std::string& f) { o.format = f == "mpjpeg" ? StreamFormat::kMpjpeg : StreamFormat::kJpeg; },
         "Stream format: concatenated JPEGs, or multipart/x-mixed-replace parts")
      ->check(CLI::IsMember({"jpeg", "mpjpeg"}))
      ->default_str("jpeg")
      ->type_name("FORMAT")
      ->needs(stream);
  app.add_option("--fps", o.fps, "Highest rate of the stream (frames are skipped, never queued)")
      ->check(finite_range(0.01, 1000.0))
      ->type_name("F")
      ->needs(stream);
}

}  // namespace

ToolRun define(CLI::App& app) {
  auto o = std::make_shared<Options>();
  add_url_argument(app, o->url)->required();
  add_output_options(app, *o);
  add_series_options(app, *o);
  add_input_options(app, o->input);
  add_live_options(app, o->live, "0 for one snapshot, else unlimited");
  return [o]() -> cctv::Result<ExitCode> {
    if (auto u = parse_source_url(o->url); !u) return fail(u.error());
    if (auto s = resolve_credentials(o->input); !s) return fail(s.error());
    if (o->output.empty()) o->output = o->stream ? "-" : "snapshot.jpg";
    if (auto s = check_pattern(o->output); !s) return fail(s.error());
    return run(*o);
  };
}

}  // namespace cctv::grab
