// SPDX-License-Identifier: MIT
// The HTML page, /healthz (Boost.JSON) and /metrics (Prometheus text).
#include "pages.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>

#include "cctv/json.hpp"
#include "cctv/url.hpp"

namespace cctv::mjpeg {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string index_html(const std::vector<CameraView>& cameras, std::string_view token) {
  const std::string query =
      token.empty() ? std::string() : html_escape("?token=" + boost::urls::encode(token, boost::urls::unreserved_chars));
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>cctv-mjpeg-serve</title>\n<style>\n"
      "body{margin:0;background:#111;color:#ddd;font:14px sans-serif}\n"
      "main{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:8px;padding:8px}\n"
      "figure{margin:0}img{width:100%;height:auto;display:block;background:#000}\n"
      "figcaption{padding:4px 0}a{color:#8cf}\n"
      "</style>\n</head>\n<body>\n<main>\n";
  for (const auto& c : cameras) {
    const std::string n = html_escape(c.name);
    out += fmt::format(
        "<figure><img src=\"/{0}/stream.mjpg{1}\" alt=\"camera {0}\">"
        "<figcaption>{0} &middot; <a href=\"/{0}/snapshot.jpg{1}\">snapshot</a></figcaption></figure>\n",
        n, query);
  }
  out += "</main>\n</body>\n</html>\n";
  return out;
}

std::string healthz_json(const std::vector<CameraView>& cameras) {
  boost::json::array list;
  bool all_ok = true;
  for (const auto& c : cameras) {
    boost::json::object o;
    o["name"] = c.name;
    o["url"] = redact(c.display_url);
    o["connected"] = c.stats.connected;
    o["fps"] = std::round(c.stats.fps * 100) / 100;
    if (c.stats.last_frame_age_s) {
      o["last_frame_age_s"] = std::round(*c.stats.last_frame_age_s * 1000) / 1000;
    } else {
      o["last_frame_age_s"] = nullptr;
    }
    o["viewers"] = c.stats.viewers;
    o["reconnects"] = c.stats.reconnects;
    o["frames_in"] = c.stats.frames_in;
    o["error"] = redact(c.stats.last_error);
    all_ok = all_ok && !c.stats.failed && c.stats.last_error.empty();
    list.push_back(std::move(o));
  }
  boost::json::object root;
  root["status"] = all_ok ? "ok" : "degraded";
  root["cameras"] = std::move(list);
  return to_json(root) + "\n";
}

namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
  double (*value)(const CameraStats&);
};

const Family kFamilies[] = {
    {"cctv_camera_connected", "gauge", "1 while the camera is connected",
     [](const CameraStats& s) { return s.connected ? 1.0 : 0.0; }},
    {"cctv_frames_in_total", "counter", "Video frames received from the camera",
     [](const CameraStats& s) { return static_cast<double>(s.frames_in); }},
    {"cctv_frames_published_total", "counter", "JPEGs made available to viewers (one encode each)",
     [](const CameraStats& s) { return static_cast<double>(s.frames_published); }},
    {"cctv_frames_out_total", "counter", "JPEG parts sent to viewers, all viewers together",
     [](const CameraStats& s) { return static_cast<double>(s.frames_out); }},
    {"cctv_bytes_out_total", "counter", "JPEG bytes sent to viewers",
     [](const CameraStats& s) { return static_cast<double>(s.bytes_out); }},
    {"cctv_viewers", "gauge", "Stream viewers connected now",
     [](const CameraStats& s) { return static_cast<double>(s.viewers); }},
    {"cctv_reconnects_total", "counter", "Reconnect attempts after a camera loss or failure",
     [](const CameraStats& s) { return static_cast<double>(s.reconnects); }},
    {"cctv_encode_seconds_total", "counter", "Time spent encoding JPEGs",
     [](const CameraStats& s) { return s.encode_seconds; }},
    {"cctv_dropped_frames_total", "counter", "Frames a slow viewer skipped (replaced unread)",
     [](const CameraStats& s) { return static_cast<double>(s.dropped_frames); }},
};

// Label values escape \, " and newline (exposition format 0.0.4).
std::string label_escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string metrics_text(const std::vector<CameraView>& cameras) {
  std::string out;
  for (const Family& f : kFamilies) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
    for (const auto& c : cameras) {
      out += fmt::format("{}{{camera=\"{}\"}} {}\n", f.name, label_escape(c.name), f.value(c.stats));
    }
  }
  return out;
}

}  // namespace cctv::mjpeg
