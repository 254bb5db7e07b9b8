// SPDX-License-Identifier: MIT
// cctv-probe's options, and the run that ties probe, report and exit status.
#include "options.hpp"

#include <cstdio>
#include <memory>

#include <CLI/CLI.hpp>

#include "cctv/log.hpp"
#include "probe.hpp"
#include "report.hpp"

namespace cctv::embedded {
extern const char* const cctv_probe_man_template;
}

namespace cctv::probe {

const ToolSpec kSpec{
    "cctv-probe",
    "Tell what is at a camera URL: codecs, size, fps, GOP, bitrate, audio, auth",
    embedded::cctv_probe_man_template,
};

namespace {

Result<ExitCode> run(Options& o) {
  for (const std::string& u : o.urls) {
    if (auto parsed = parse_source_url(u); !parsed) return fail(parsed.error());
  }
  if (auto s = resolve_credentials(o.input); !s) return fail(s.error());
  const std::vector<ProbeResult> results = probe_all(o);
  ExitCode worst_code = ExitCode::kOk;
  for (const ProbeResult& r : results) {
    if (r.code != ExitCode::kOk) log_error("{}", r.error);
    worst_code = worst(worst_code, r.code);
  }
  const std::string out = o.json ? json_report(results) : text_report(results);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return fail(ExitCode::kOutput, "cannot write to stdout");
  }
  return worst_code;
}

}  // namespace

ToolRun define(CLI::App& app) {
  auto o = std::make_shared<Options>();
  app.add_option("URL", o->urls, "Camera URLs (rtsp, rtsps, http, https), files, or lavfi:GRAPH")
      ->required()
      ->type_name("URL");
  add_input_options(app, o->input);
  auto* fast = app.add_flag_callback("--fast", [o] { o->mode = Mode::kFast; },
                                     "Answer from the session description alone; do not wait for a keyframe");
  app.add_option_function<double>(
         "--sample",
         [o](double s) {
           o->mode = Mode::kSample;
           o->sample_seconds = s;
         },
         "Keep reading for SECONDS of wall-clock time; report fps, GOP, bitrate and timestamp jumps")
      ->check(finite_range(0.1, 3600.0))
      ->type_name("SECONDS")
      ->excludes(fast);
  app.add_option("-j,--jobs", o->jobs, "Probe up to N URLs at once")
      ->check(CLI::Range(1, 256))
      ->default_str("4")
      ->type_name("N");
  app.add_flag("--json", o->json, "Print one JSON document (fields in the man page)");
  return [o]() -> cctv::Result<ExitCode> { return run(*o); };
}

}  // namespace cctv::probe
