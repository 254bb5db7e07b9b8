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

namespace {

// The page's player, one per camera: MSE over the WebSocket where the browser
// plays the camera's codec, MJPEG otherwise or when asked, with a switch.
// Kept within a few frames of the live edge; reconnects with backoff; a tab
// hidden for 10 s lets go of its streams. Starts muted and without audio
// (?audio=0: no audio pre-roll in the buffer); unmuting reconnects with audio.
constexpr std::string_view kPlayerScript = R"JS(
"use strict";
const query = document.querySelector("main").dataset.query;
const MS = window.ManagedMediaSource || window.MediaSource;
const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
function withQuery(path, extra) {
  const q = new URLSearchParams(query);
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  const s = q.toString();
  return path + (s ? "?" + s : "");
}
class Player {
  constructor(fig) {
    this.fig = fig;
    this.name = fig.dataset.camera;
    this.video = fig.querySelector("video");
    this.img = fig.querySelector("img");
    this.modeButton = fig.querySelector("button.mode");
    this.soundButton = fig.querySelector("button.sound");
    this.state = fig.querySelector(".state");
    this.want = MS ? "mse" : "mjpeg";
    this.audio = false;
    this.retry = 1000;
    this.modeButton.onclick = () => { this.want = this.want === "mse" ? "mjpeg" : "mse"; this.restart(); };
    this.soundButton.onclick = () => {
      this.audio = this.video.muted;
      this.video.muted = !this.audio;
      this.soundButton.textContent = this.audio ? "mute" : "unmute";
      if (this.fig.dataset.mode === "mse") this.restart();
    };
    this.video.addEventListener("error", () => this.failed("video error"));
    this.start();
  }
  show(mode, note) {
    this.fig.dataset.mode = mode;
    this.video.hidden = mode !== "mse";
    this.img.hidden = mode !== "mjpeg";
    this.soundButton.hidden = mode !== "mse";
    this.modeButton.textContent = mode === "mse" ? "MJPEG" : "MSE";
    this.modeButton.hidden = !MS;
    this.state.textContent = note || "";
  }
  start() {
    if (this.want === "mse" && MS) this.startMse(); else this.startMjpeg();
  }
  stop() {
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; }
    this.sb = null;
    this.queue = [];
    if (this.video.src || this.video.srcObject) {
      this.video.removeAttribute("src");
      this.video.srcObject = null;
      this.video.load();
    }
    this.img.src = "data:,";
  }
  restart() { this.stop(); this.start(); }
  startMjpeg(note) {
    this.show("mjpeg", note);
    this.img.src = withQuery("/" + this.name + "/stream.mjpg");
  }
  fallback(note) { this.stop(); this.startMjpeg(note + ": MJPEG"); }
  startMse() {
    this.show("mse", "connecting");
    this.img.src = "data:,";  // lets go of the MJPEG stream the page started with
    this.queue = [];
    const ws = new WebSocket(wsBase + withQuery("/" + this.name + "/stream.ws", this.audio ? {} : { audio: "0" }));
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      if (typeof e.data === "string") return this.onInit(JSON.parse(e.data));
      this.queue.push(new Uint8Array(e.data));
      this.pump();
    };
    ws.onclose = (e) => {
      this.ws = null;
      if (e.code === 1003) return this.fallback(e.reason || "not playable through MSE");
      this.failed("connection closed");
    };
    this.ws = ws;
  }
  failed(why) {
    if (this.fig.dataset.mode !== "mse" || this.timer) return;
    this.stop();
    this.show("mse", why + "; retrying");
    this.timer = setTimeout(() => { this.timer = null; this.start(); }, this.retry);
    this.retry = Math.min(this.retry * 2, 15000);
  }
  onInit(message) {
    if (!MS.isTypeSupported(message.mime)) return this.fallback(message.mime + " is not playable here");
    if (this.sb && this.mime === message.mime) return;  // a new init segment of the same codecs: appended as it comes
    this.mime = message.mime;
    this.sb = null;
    const ms = new MS();
    if (window.ManagedMediaSource && ms instanceof window.ManagedMediaSource) {
      this.video.disableRemotePlayback = true;
      this.video.srcObject = ms;
    } else {
      this.video.src = URL.createObjectURL(ms);
    }
    ms.addEventListener("sourceopen", () => {
      this.sb = ms.addSourceBuffer(message.mime);
      this.sb.mode = "segments";
      this.sb.addEventListener("updateend", () => { this.chase(); this.pump(); });
      this.pump();
    }, { once: true });
  }
  pump() {
    const sb = this.sb;
    if (!sb || sb.updating || this.queue.length === 0) return;
    let size = 0;
    for (const b of this.queue) size += b.length;
    const data = new Uint8Array(size);
    let at = 0;
    for (const b of this.queue) { data.set(b, at); at += b.length; }
    this.queue = [];
    try { sb.appendBuffer(data); } catch (e) { this.failed(e.name); }
  }
  // Stays within a few frames of the live edge: seeks there when behind more
  // than 0.5 s or outside what is buffered, plays 10 % faster while behind
  // more than 3 frames, and drops what is long past.
  chase() {
    const v = this.video, sb = this.sb, b = v.buffered;
    if (!sb || b.length === 0) return;
    const end = b.end(b.length - 1);
    const behind = end - v.currentTime;
    if (behind > 0.5 || v.currentTime < b.start(b.length - 1)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - 0.05);
    } else {
      v.playbackRate = behind > 0.12 ? 1.1 : 1.0;
    }
    if (v.paused) v.play().catch(() => {});
    if (this.state.textContent) { this.state.textContent = ""; this.retry = 1000; }
    if (!sb.updating && v.currentTime - b.start(0) > 10) sb.remove(0, v.currentTime - 5);
  }
}
const players = [...document.querySelectorAll("figure[data-camera]")].map((f) => new Player(f));
let hiddenTimer = null;
document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    hiddenTimer = setTimeout(() => players.forEach((p) => p.stop()), 10000);
  } else {
    clearTimeout(hiddenTimer);
    players.forEach((p) => { if (!p.ws && !p.img.src.includes("stream.mjpg")) p.restart(); });
  }
});
)JS";

}  // namespace

std::string index_html(const std::vector<CameraView>& cameras, std::string_view token) {
  const std::string query = token.empty() ? std::string() : "?token=" + boost::urls::encode(token, boost::urls::unreserved_chars);
  const std::string link_query = html_escape(query);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>cctv-mjpeg-serve</title>\n<style>\n"
      "body{margin:0;background:#111;color:#ddd;font:14px sans-serif}\n"
      "main{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:8px;padding:8px}\n"
      "figure{margin:0}img,video{width:100%;height:auto;display:block;background:#000}\n"
      "[hidden]{display:none!important}\n"
      "figcaption{padding:4px 0}a{color:#8cf}button{font:inherit;margin-left:4px}\n"
      "</style>\n</head>\n<body>\n<main data-query=\"" + link_query + "\">\n";
  for (const auto& c : cameras) {
    const std::string n = html_escape(c.name);
    // Without script the <img> plays MJPEG as it is; the player takes over.
    out += fmt::format(
        "<figure data-camera=\"{0}\" data-mode=\"mjpeg\"><video muted playsinline hidden></video>"
        "<img src=\"/{0}/stream.mjpg{1}\" alt=\"camera {0}\">"
        "<figcaption>{0} &middot; <a href=\"/{0}/snapshot.jpg{1}\">snapshot</a>"
        "<button class=\"mode\" type=\"button\" hidden>MSE</button>"
        "<button class=\"sound\" type=\"button\" hidden>unmute</button> <span class=\"state\"></span>"
        "</figcaption></figure>\n",
        n, link_query);
  }
  out += "</main>\n<script>";
  out += kPlayerScript;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

std::string mse_init_message(const MediaInit& init) {
  boost::json::object o;
  o["type"] = "init";
  o["mime"] = init.mime;
  o["generation"] = init.generation;
  return to_json(o);
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
    o["mse_viewers"] = c.stats.media.viewers;
    o["mse_bytes_out"] = c.stats.media.bytes_out;
    o["keyframe_skips"] = c.stats.media.skips;
    o["gop_cache_bytes"] = c.stats.media.gop_cache_bytes;
    o["hls_sessions"] = c.stats.media.hls_sessions;
    o["hls_blocked_requests"] = c.stats.media.hls_blocked;
    o["hls_parts_out"] = c.stats.media.hls_parts;
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
    {"cctv_mse_viewers", "gauge", "MSE viewers (WebSocket and fMP4 streams) connected now",
     [](const CameraStats& s) { return static_cast<double>(s.media.viewers); }},
    {"cctv_mse_bytes_out_total", "counter", "fMP4 bytes sent to MSE viewers",
     [](const CameraStats& s) { return static_cast<double>(s.media.bytes_out); }},
    {"cctv_mse_fragments_out_total", "counter", "fMP4 fragments (one frame each) sent to MSE viewers",
     [](const CameraStats& s) { return static_cast<double>(s.media.fragments_out); }},
    {"cctv_keyframe_skips_total", "counter", "Times a slow MSE viewer skipped to the next keyframe",
     [](const CameraStats& s) { return static_cast<double>(s.media.skips); }},
    {"cctv_gop_cache_bytes", "gauge", "Bytes of the current GOP kept for MSE viewers who join",
     [](const CameraStats& s) { return static_cast<double>(s.media.gop_cache_bytes); }},
    {"cctv_hls_sessions", "gauge", "Clients that asked for the LL-HLS playlist in the last 10 s",
     [](const CameraStats& s) { return static_cast<double>(s.media.hls_sessions); }},
    {"cctv_hls_blocked_requests", "gauge", "LL-HLS playlist and part requests waiting for the next part now",
     [](const CameraStats& s) { return static_cast<double>(s.media.hls_blocked); }},
    {"cctv_hls_playlists_out_total", "counter", "LL-HLS playlists served",
     [](const CameraStats& s) { return static_cast<double>(s.media.hls_playlists); }},
    {"cctv_hls_parts_out_total", "counter", "LL-HLS parts served",
     [](const CameraStats& s) { return static_cast<double>(s.media.hls_parts); }},
    {"cctv_hls_segments_out_total", "counter", "LL-HLS segments served",
     [](const CameraStats& s) { return static_cast<double>(s.media.hls_segments); }},
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
