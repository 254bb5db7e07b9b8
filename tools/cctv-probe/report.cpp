// SPDX-License-Identifier: MIT
// Rendering probe results as text or as one JSON document (Boost.JSON).
#include "report.hpp"

#include <cmath>

#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "cctv/json.hpp"

namespace cctv::probe {

namespace {

std::string channels_text(int n) {
  if (n == 1) return "mono";
  if (n == 2) return "stereo";
  return fmt::format("{} channels", n);
}

std::string video_line(const VideoInfo& v) {
  std::string s = v.codec;
  if (!v.profile.empty() || !v.level.empty()) {
    s += " (" + v.profile + (v.profile.empty() || v.level.empty() ? "" : ", ") +
         (v.level.empty() ? "" : "level " + v.level) + ")";
  }
  s += v.width > 0 ? fmt::format(" {}x{}", v.width, v.height) : " size unknown";
  if (!v.pix_fmt.empty()) s += " " + v.pix_fmt;
  if (v.fps_declared > 0) s += fmt::format(", {:g} fps declared", v.fps_declared);
  return s;
}

// "no timestamp jumps", "2 timestamp jumps (1 back, 1 forward), largest +30.0 s".
std::string jumps_text(const TimestampJumps& j) {
  if (j.count == 0) return "no timestamp jumps";
  return fmt::format("{} timestamp jump{} ({} back, {} forward), largest {:+.1f} s", j.count, j.count == 1 ? "" : "s",
                     j.back, j.forward, j.largest_seconds);
}

void add(std::string& out, std::string_view key, std::string_view value) {
  out += fmt::format("  {:<10} {}\n", key, value);
}

// Milliseconds as whole numbers: finer is noise, and integers print plainly.
boost::json::value opt_ms(const std::optional<double>& v) {
  return v ? boost::json::value(std::llround(*v)) : boost::json::value(nullptr);
}

boost::json::value str_or_null(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

boost::json::value video_json(const VideoInfo& v) {
  return boost::json::object{
      {"codec", v.codec},
      {"profile", str_or_null(v.profile)},
      {"level", str_or_null(v.level)},
      {"width", v.width > 0 ? boost::json::value(v.width) : boost::json::value(nullptr)},
      {"height", v.height > 0 ? boost::json::value(v.height) : boost::json::value(nullptr)},
      {"pix_fmt", str_or_null(v.pix_fmt)},
      {"fps_declared", v.fps_declared > 0 ? boost::json::value(v.fps_declared) : boost::json::value(nullptr)},
  };
}

double r3(double v) { return std::round(v * 1000) / 1000; }

boost::json::value measured_json(const Measured& m) {
  const TimestampJumps& j = m.jumps;
  return boost::json::object{
      {"seconds", r3(m.seconds)},
      {"frames", m.frames},
      {"keyframes", m.keyframes},
      {"fps", r3(m.fps)},
      {"gop_frames", m.keyframes > 1 ? boost::json::value(r3(m.gop_frames)) : boost::json::value(nullptr)},
      {"gop_seconds", m.keyframes > 1 ? boost::json::value(r3(m.gop_seconds)) : boost::json::value(nullptr)},
      {"bitrate_kbps", std::llround(m.bitrate_kbps)},
      {"timestamp_jumps", boost::json::object{{"count", j.count},
                                              {"forward", j.forward},
                                              {"back", j.back},
                                              {"largest_seconds", r3(std::abs(j.largest_seconds))}}},
  };
}

boost::json::value result_json(const ProbeResult& r) {
  boost::json::object o{
      {"url", r.url},
      {"status", r.status},
      {"exit_code", to_int(r.code)},
      {"error", str_or_null(r.error)},
      {"transport", str_or_null(r.transport)},
      {"connect_ms", opt_ms(r.connect_ms)},
      {"keyframe_ms", opt_ms(r.keyframe_ms)},
  };
  o["video"] = r.video ? video_json(*r.video) : boost::json::value(nullptr);
  o["audio"] = r.audio ? boost::json::value(boost::json::object{{"codec", r.audio->codec},
                                                                {"sample_rate", r.audio->sample_rate},
                                                                {"channels", r.audio->channels}})
                       : boost::json::value(nullptr);
  o["measured"] = r.measured ? measured_json(*r.measured) : boost::json::value(nullptr);
  return o;
}

}  // namespace

std::string text_report(const std::vector<ProbeResult>& results) {
  std::string out;
  for (const ProbeResult& r : results) {
    if (!out.empty()) out += "\n";
    out += r.url + "\n";
    add(out, "status", r.error.empty() ? r.status : r.status + " (" + r.error + ")");
    if (!r.transport.empty()) add(out, "transport", r.transport);
    if (r.connect_ms) add(out, "connect", fmt::format("{:.0f} ms", *r.connect_ms));
    if (r.keyframe_ms) add(out, "keyframe", fmt::format("{:.0f} ms", *r.keyframe_ms));
    if (r.video) add(out, "video", video_line(*r.video));
    if (r.video) add(out, "audio", r.audio ? fmt::format("{} {} Hz {}", r.audio->codec, r.audio->sample_rate,
                                                         channels_text(r.audio->channels))
                                           : "none");
    if (const auto& m = r.measured) {
      add(out, "measured",
          fmt::format("{:.2f} fps, GOP {}, {:.0f} kbit/s over {:.1f} s", m->fps,
                      m->keyframes > 1 ? fmt::format("{:.1f} frames ({:.2f} s)", m->gop_frames, m->gop_seconds)
                                       : std::string("unknown (fewer than 2 keyframes)"),
                      m->bitrate_kbps, m->seconds));
      add(out, "jumps", jumps_text(m->jumps));
    }
  }
  return out;
}

std::string json_report(const std::vector<ProbeResult>& results) {
  boost::json::array arr;
  for (const ProbeResult& r : results) arr.push_back(result_json(r));
  boost::json::object doc{{"tool", "cctv-probe"}, {"version", CCTV_VERSION}, {"results", std::move(arr)}};
  return to_json(doc) + "\n";
}

}  // namespace cctv::probe
