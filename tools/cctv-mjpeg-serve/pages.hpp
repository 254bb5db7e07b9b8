// SPDX-License-Identifier: MIT
// What the server answers besides streams: the HTML page, /healthz JSON and /metrics text.
#pragma once

#include <string>
#include <vector>

#include "hub.hpp"

namespace cctv::mjpeg {

// A camera as the pages see it: its name, redacted URL and current figures.
struct CameraView {
  std::string name;
  std::string display_url;  // credentials already redacted
  CameraStats stats;
};

// GET /: every camera live: through MSE (the camera's own H.264 over the
// WebSocket) where the browser plays it, else MJPEG in an <img>, with a
// switch; without script, MJPEG. A non-empty `token` is appended to every
// link, <img> and WebSocket URL as ?token= (percent-encoded), so that a page
// opened with ?token= works as it is.
std::string index_html(const std::vector<CameraView>& cameras, std::string_view token = {});

// GET /healthz: {"status":"ok"|"degraded","cameras":[{"name","url","connected",
// "fps","last_frame_age_s","viewers","reconnects","frames_in","error",
// "mse_viewers","mse_bytes_out","keyframe_skips","gop_cache_bytes",
// "hls_sessions","hls_blocked_requests","hls_parts_out"}]}.
std::string healthz_json(const std::vector<CameraView>& cameras);

// GET /metrics: Prometheus text exposition format 0.0.4, one family per
// figure, one sample per camera (label camera="NAME").
std::string metrics_text(const std::vector<CameraView>& cameras);

// The WebSocket's text message before an init segment:
// {"type":"init","mime":"video/mp4; codecs=\"...\"","generation":N}.
std::string mse_init_message(const MediaInit& init);

// Escapes & < > " ' for HTML text and attributes.
std::string html_escape(std::string_view text);

}  // namespace cctv::mjpeg
