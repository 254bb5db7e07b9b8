// SPDX-License-Identifier: MIT
// cctv-probe's logic: what is at a URL, measured on the live stream.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cctv/cli.hpp"
#include "cctv/error.hpp"
#include "measure.hpp"

namespace cctv::probe {

enum class Mode {
  kKeyframe,  // default: until the first keyframe decodes
  kFast,      // session description only
  kSample,    // keep reading for --sample seconds and measure
};

struct Options {
  InputCliOptions input;
  Mode mode = Mode::kKeyframe;
  double sample_seconds = 0;  // --sample: wall-clock seconds (media seconds for a file)
  int jobs = 4;
  bool json = false;
  std::vector<std::string> urls;
};

struct VideoInfo {
  std::string codec;    // FFmpeg's short name: h264, hevc, mjpeg
  std::string profile;  // "High", "Main", empty when unknown
  std::string level;    // "3.1", empty when unknown
  int width = 0;        // 0 when unknown (--fast without size in the SDP)
  int height = 0;
  std::string pix_fmt;
  double fps_declared = 0;  // what the stream says (SPS timing, SDP); 0 unknown
};

struct AudioInfo {
  std::string codec;
  int sample_rate = 0;
  int channels = 0;
};

struct ProbeResult {
  std::string url;  // redacted
  ExitCode code = ExitCode::kOk;
  std::string status;  // ok, unreachable, timeout, auth, not_found, unsupported, error
  std::string error;   // one line, empty when ok
  std::string transport;
  std::optional<double> connect_ms;
  std::optional<double> keyframe_ms;  // from the start to the first decoded keyframe
  std::optional<VideoInfo> video;
  std::optional<AudioInfo> audio;
  std::optional<Measured> measured;
};

// Probes one URL. Never fails: failures are results with a code and status.
ProbeResult probe_one(const std::string& url, const Options& opts);

// Probes every URL of opts with up to opts.jobs at once, results in input order.
std::vector<ProbeResult> probe_all(const Options& opts);

// The status word for an exit code ("timeout" when the error was a deadline).
std::string status_word(ExitCode code, bool timeout);

}  // namespace cctv::probe
