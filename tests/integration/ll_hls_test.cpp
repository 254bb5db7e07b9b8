// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's Low-Latency HLS against the camera fixture: FFmpeg's HLS
// demuxer plays it, every playlist version follows RFC 8216bis, every part
// and segment decodes, blocking reloads answer when the part exists.
#define BOOST_TEST_MODULE ll_hls_integration
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "ll_playlist.hpp"
#include "mjpeg_client.hpp"
#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = fs::path(__FILE__).parent_path().parent_path().parent_path();

Camera& camera() {
  static Camera cam;
  return cam;
}

// A self-signed certificate for 127.0.0.1 in `dir`: cert.pem and key.pem.
void make_certificate(const fs::path& dir) {
  const RunResult r = run_tool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                "-nodes", "-keyout", (dir / "key.pem").string(), "-out", (dir / "cert.pem").string(),
                                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                               30s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "openssl req: " + r.err);
}

// The part or segment after the last one `p` lists: what a player asks for next.
std::string next_query(const LlPlaylist& p) {
  const LlSegment& last = p.segments.back();
  if (last.duration) return "_HLS_msn=" + std::to_string(last.msn + 1) + "&_HLS_part=0";
  return "_HLS_msn=" + std::to_string(last.msn) + "&_HLS_part=" + std::to_string(last.parts.size());
}

// Whether `p` holds part `part` of segment `msn` (or that segment complete).
bool holds(const LlPlaylist& p, std::uint64_t msn, std::size_t part) {
  for (const auto& s : p.segments) {
    if (s.msn > msn || (s.msn == msn && (s.duration || s.parts.size() > part))) return true;
  }
  return false;
}

// The first playlist: it waits for the camera's first segment.
LlPlaylist first_playlist(const MjpegServer& server, const std::string& path) {
  const Reply r = get(server.at(path), {}, 60s);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.type == "application/vnd.apple.mpegurl");
  auto p = parse_ll_playlist(r.body);
  BOOST_REQUIRE_MESSAGE(p.error.empty(), p.error);
  BOOST_REQUIRE(!p.segments.empty());
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ll_hls)

BOOST_AUTO_TEST_CASE(ffmpeg_plays_the_playlist_and_every_frame_decodes) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  first_playlist(server, "/cam/index.m3u8");
  const RunResult probe = run_tool({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of",
                                    "json", server.at("/cam/index.m3u8")},
                                   60s);
  BOOST_REQUIRE_EQUAL(probe.exit_code, 0);
  const auto streams = boost::json::parse(probe.out).at("streams").as_array();
  BOOST_REQUIRE_EQUAL(streams.size(), 1u);
  BOOST_TEST(streams[0].at("codec_name").as_string() == "h264");
  BOOST_TEST(streams[0].at("width").as_int64() == 1280);
  BOOST_TEST(streams[0].at("height").as_int64() == 720);
  const RunResult play = run_tool({"ffmpeg", "-hide_banner", "-v", "error", "-xerror", "-i", server.at("/cam/index.m3u8"),
                                   "-t", "10", "-map", "0:v", "-f", "framecrc", "-"},
                                  120s);
  BOOST_TEST(play.exit_code == 0);
  BOOST_TEST(play.err.empty(), play.err);
  int frames = 0;
  std::istringstream lines(play.out);
  for (std::string line; std::getline(lines, line);) frames += !line.empty() && line[0] != '#';
  BOOST_TEST(frames >= 240);  // 10 s at 25 fps
}

// A player's 30 s: every playlist version by blocking reload, every new part
// and segment fetched; each version follows the rules, the media sequence
// never goes back, a segment is its parts back to back and decodes after its
// init segment with as many frames as its EXTINF says.
BOOST_AUTO_TEST_CASE(every_playlist_version_follows_the_rules_and_every_part_decodes) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  LlPlaylist p = first_playlist(server, "/cam/index.m3u8");
  std::map<std::string, std::string> fetched;  // URI -> bytes
  std::map<std::uint64_t, LlSegment> complete;  // msn -> the segment as listed complete
  const auto fetch = [&](const std::string& uri) {
    if (fetched.count(uri) != 0) return;
    const Reply r = get(server.at("/cam/" + uri));
    BOOST_TEST_INFO(uri);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.type == "video/mp4");
    fetched[uri] = r.body;
  };
  std::uint64_t sequence = p.media_sequence;
  int versions = 0;
  const auto until = Clock::now() + 30s;
  while (Clock::now() < until) {  // bounded: 30 s
    ++versions;
    for (const auto& v : ll_rule_violations(p)) BOOST_ERROR("playlist version " << versions << ": " << v);
    BOOST_TEST(p.media_sequence >= sequence);
    sequence = p.media_sequence;
    BOOST_TEST(p.part_target == 0.333);
    BOOST_TEST(p.target == 2);
    for (const auto& s : p.segments) {
      fetch(s.map);
      for (const auto& part : s.parts) fetch(part.uri);
      if (s.duration) {
        fetch(s.uri);
        if (!s.parts.empty()) complete[s.msn] = s;
      }
    }
    const Reply r = get(server.at("/cam/index.m3u8?" + next_query(p)), {}, 60s);
    BOOST_REQUIRE_EQUAL(r.status, 200);
    p = parse_ll_playlist(r.body);
    BOOST_REQUIRE_MESSAGE(p.error.empty(), p.error);
  }
  BOOST_TEST(versions >= 20);  // the reloads went on, none failed
  int checked = 0;
  for (const auto& [msn, s] : complete) {
    std::string joined;
    bool all = true;
    for (const auto& part : s.parts) {
      all = all && fetched.count(part.uri) != 0;
      if (all) joined += fetched[part.uri];
    }
    BOOST_TEST_INFO("segment " << msn);
    if (all) BOOST_TEST((joined == fetched[s.uri]));
    std::string log;
    const int frames = decoded_frames(fetched[s.map] + fetched[s.uri], log);
    BOOST_TEST(frames == static_cast<int>(std::lround(*s.duration * 25)), log);
    // The first part alone decodes after the init segment too.
    BOOST_TEST(s.parts.front().independent);
    BOOST_TEST(decoded_frames(fetched[s.map] + fetched[s.parts.front().uri], log) >= 1, log);
    ++checked;
  }
  BOOST_TEST(checked >= 12);  // 30 s of 2 s segments, less the first and last
  BOOST_TEST(metric(server, "cctv_hls_sessions", "cam") == 1);
  BOOST_TEST(metric(server, "cctv_hls_parts_out_total", "cam") >= 80);
  BOOST_TEST(metric(server, "cctv_hls_blocked_requests", "cam") == 0);
}

BOOST_AUTO_TEST_CASE(a_blocking_reload_answers_once_the_part_exists_and_refuses_one_too_far) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  LlPlaylist p = first_playlist(server, "/cam/index.m3u8");
  for (int i = 0; i < 8; ++i) {
    const LlSegment& last = p.segments.back();
    const std::uint64_t msn = last.duration ? last.msn + 1 : last.msn;
    const std::size_t part = last.duration ? 0 : last.parts.size();
    const auto asked = Clock::now();
    const Reply r = get(server.at("/cam/index.m3u8?" + next_query(p)), {}, 60s);
    const double waited = std::chrono::duration<double>(Clock::now() - asked).count();
    BOOST_REQUIRE_EQUAL(r.status, 200);
    p = parse_ll_playlist(r.body);
    BOOST_REQUIRE(p.error.empty());
    BOOST_TEST_MESSAGE("part " << msn << "." << part << " answered after " << waited << " s");
    BOOST_TEST(holds(p, msn, part));  // never before it exists
    // Within one part target of being made; the slack is for a loaded machine.
    BOOST_TEST(waited < p.part_target + 3.0);
  }
  const std::uint64_t edge = p.segments.back().msn;
  const auto far = get(server.at("/cam/index.m3u8?_HLS_msn=" + std::to_string(edge + 3) + "&_HLS_part=0"));
  BOOST_TEST(far.status == 400);
  BOOST_TEST(get(server.at("/cam/index.m3u8?_HLS_msn=" + std::to_string(edge) + "&_HLS_part=40")).status == 400);
  BOOST_TEST(get(server.at("/cam/index.m3u8?_HLS_part=1")).status == 400);
  BOOST_TEST(get(server.at("/cam/index.m3u8?_HLS_msn=x")).status == 400);
  // The hinted part: its request waits until the part is made, then gets it.
  const Reply hinted = get(server.at("/cam/" + p.hint), {}, 60s);
  BOOST_TEST(hinted.status == 200);
  BOOST_TEST(!hinted.body.empty());
  BOOST_TEST(get(server.at("/cam/part999999.m4s")).status == 404);
  BOOST_TEST(get(server.at("/cam/seg0x.m4s")).status == 404);
}

BOOST_AUTO_TEST_CASE(audio_is_aac_and_audio_0_leaves_it_out_on_every_uri) {
  MjpegServer server({"--camera", "pcma=" + camera().url("h264-pcma")});
  first_playlist(server, "/pcma/index.m3u8");
  const auto codecs = [&](const std::string& path) {
    const RunResult r = run_tool({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "json",
                                  server.at(path)},
                                 60s);
    BOOST_TEST(r.exit_code == 0, r.err);
    std::string names;
    const auto json = boost::json::parse(r.out);
    for (const auto& s : json.at("streams").as_array()) {
      names += std::string(s.at("codec_name").as_string()) + " ";
    }
    return names;
  };
  BOOST_TEST(codecs("/pcma/index.m3u8") == "h264 aac ");
  const LlPlaylist quiet = first_playlist(server, "/pcma/index.m3u8?audio=0");
  for (const auto& s : quiet.segments) {
    BOOST_TEST(s.map.ends_with("&audio=0"));
    if (s.duration) BOOST_TEST(s.uri.ends_with("?audio=0"));
  }
  BOOST_TEST(quiet.hint.ends_with("?audio=0"));
  BOOST_TEST(codecs("/pcma/index.m3u8?audio=0") == "h264 ");
}

BOOST_AUTO_TEST_CASE(a_token_or_a_signature_is_written_onto_every_uri) {
  TempDir tmp;
  const std::string token = "0123456789abcdef0123";
  write_file(tmp.path() / "tokens", token + "\n");
  const std::string key_file = (tmp.path() / "url.key").string();
  write_file(key_file, "0123456789abcdef0123456789abcdef\n");
  MjpegServer server({"--camera", "cam=" + camera().url("h264"), "--camera", "other=" + camera().url("h264"),
                      "--token-file", (tmp.path() / "tokens").string(), "--url-key-file", key_file, "--allow-origin",
                      "https://app.example.com"});
  BOOST_TEST(get(server.at("/cam/index.m3u8")).status == 401);
  const LlPlaylist p = first_playlist(server, "/cam/index.m3u8?token=" + token);
  const std::string carried = "token=" + token;
  for (const auto& s : p.segments) {
    BOOST_TEST(s.map.ends_with("&" + carried));
    for (const auto& part : s.parts) BOOST_TEST(part.uri.ends_with("?" + carried));
    if (s.duration) BOOST_TEST(s.uri.ends_with("?" + carried));
  }
  // The URIs as written open the media; without the token they do not.
  const std::string seg = p.segments.front().uri;
  BOOST_TEST(get(server.at("/cam/" + seg)).status == 200);
  BOOST_TEST(get(server.at("/cam/" + seg.substr(0, seg.find('?')))).status == 401);
  BOOST_TEST(get(server.at("/cam/" + p.segments.front().map)).status == 200);

  // A signed link: its exp and sig go onto every URI; they open this camera only.
  const RunResult made = run_tool({(bin_dir() / "cctv-mjpeg-serve").string(), "--url-key-file", key_file, "--sign",
                                   "/cam/index.m3u8"});
  BOOST_REQUIRE_EQUAL(made.exit_code, 0);
  const std::string link = made.out.substr(0, made.out.find('\n'));
  const std::string query = link.substr(link.find('?'));
  const LlPlaylist signed_list = first_playlist(server, link);
  const std::string part = signed_list.segments.back().parts.back().uri;
  BOOST_TEST(part.ends_with(query));
  BOOST_TEST(get(server.at("/cam/" + part)).status == 200);
  BOOST_TEST(get(server.at("/other/index.m3u8" + query)).status == 403);

  // Pages of an origin --allow-origin names may read the playlist (CORS); others may not.
  const Reply app = get(server.at("/cam/index.m3u8?token=" + token), {"-H", "Origin: https://app.example.com"}, 60s);
  BOOST_TEST(app.headers.find("Access-Control-Allow-Origin: https://app.example.com") != std::string::npos);
  const Reply evil = get(server.at("/cam/index.m3u8?token=" + token), {"-H", "Origin: http://evil.example"}, 60s);
  BOOST_TEST(evil.status == 200);
  BOOST_TEST(evil.headers.find("Access-Control-Allow-Origin") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(over_https_the_playlist_parts_and_blocking_reloads_work_the_same) {
  TempDir tmp;
  make_certificate(tmp.path());
  const std::string key = (tmp.path() / "key.pem").string();
  const std::string cert = (tmp.path() / "cert.pem").string();
  MjpegServer server({"--camera", "cam=" + camera().url("h264"), "--tls-cert", cert, "--tls-key", key});
  BOOST_REQUIRE(server.url.starts_with("https://"));
  const std::vector<std::string> tls{"--cacert", cert};
  Reply r = get(server.at("/cam/index.m3u8"), tls, 60s);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  LlPlaylist p = parse_ll_playlist(r.body);
  BOOST_REQUIRE(p.error.empty());
  for (int i = 0; i < 3; ++i) {  // three blocking reloads, each answered with a new part
    r = get(server.at("/cam/index.m3u8?" + next_query(p)), tls, 60s);
    BOOST_REQUIRE_EQUAL(r.status, 200);
    p = parse_ll_playlist(r.body);
    for (const auto& v : ll_rule_violations(p)) BOOST_ERROR(v);
  }
  const Reply init = get(server.at("/cam/" + p.segments.back().map), tls);
  const Reply part = get(server.at("/cam/" + p.segments.back().parts.front().uri), tls);
  BOOST_TEST(init.status == 200);
  BOOST_TEST(part.status == 200);
  std::string log;
  if (p.segments.back().parts.front().independent) BOOST_TEST(decoded_frames(init.body + part.body, log) >= 1, log);
}

// examples/nginx/cctv-mjpeg-serve.conf in front, as the README shows it:
// HTTP/2 over TLS to the player, held playlist requests passed through.
BOOST_AUTO_TEST_CASE(behind_the_example_nginx_block_a_player_gets_http2_and_held_reloads) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  TempDir tmp;
  make_certificate(tmp.path());
  const auto path = [&](const std::string& name) { return (tmp.path() / name).string(); };
  const int port = closed_port();
  std::string block = slurp(kSource / "examples/nginx/cctv-mjpeg-serve.conf");
  const auto replace = [&block](const std::string& from, const std::string& to) {
    BOOST_REQUIRE_MESSAGE(count(block, from) == 1, "not once in cctv-mjpeg-serve.conf: " + from);
    block.replace(block.find(from), from.size(), to);
  };
  replace("server 127.0.0.1:8080;", "server 127.0.0.1:" + std::to_string(server.port()) + ";");
  replace("listen 8443 ssl http2;", "listen 127.0.0.1:" + std::to_string(port) + " ssl http2;");
  replace("/etc/ssl/certs/cctv-mjpeg-serve.crt", path("cert.pem"));
  replace("/etc/ssl/private/cctv-mjpeg-serve.key", path("key.pem"));
  write_file(tmp.path() / "server.conf", block);
  std::string conf = "daemon off;\nmaster_process off;\npid " + path("nginx.pid") + ";\nerror_log " + path("error.log") +
                     ";\nevents {}\nhttp {\n  access_log off;\n";
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    conf += std::string("  ") + t + "_temp_path " + path(t) + ";\n";
  }
  write_file(tmp.path() / "nginx.conf", conf + "  include " + path("server.conf") + ";\n}\n");
  Process nginx;
  nginx.start({"/usr/sbin/nginx", "-e", path("error.log"), "-p", tmp.path().string(), "-c", path("nginx.conf")});
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  const std::vector<std::string> h2{"--http2", "--cacert", path("cert.pem")};
  BOOST_REQUIRE_MESSAGE(poll_until(30s, [&] { return get(base + "/healthz", h2).status == 200; }),
                        "nginx did not answer within 30 s: " + slurp(tmp.path() / "error.log"));
  Reply r = get(base + "/cam/index.m3u8", h2, 60s);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.headers.starts_with("HTTP/2 200"));
  LlPlaylist p = parse_ll_playlist(r.body);
  BOOST_REQUIRE(p.error.empty());
  for (int i = 0; i < 3; ++i) {
    const LlSegment& last = p.segments.back();
    const std::uint64_t msn = last.duration ? last.msn + 1 : last.msn;
    const std::size_t part = last.duration ? 0 : last.parts.size();
    r = get(base + "/cam/index.m3u8?" + next_query(p), h2, 60s);
    BOOST_REQUIRE_EQUAL(r.status, 200);
    p = parse_ll_playlist(r.body);
    BOOST_TEST(holds(p, msn, part));
  }
  BOOST_TEST(get(base + "/cam/" + p.segments.back().parts.back().uri, h2).status == 200);
  const RunResult play = run_tool({"ffmpeg", "-hide_banner", "-v", "error", "-xerror", "-i", base + "/cam/index.m3u8",
                                   "-t", "3", "-map", "0:v", "-f", "null", "-"},
                                  120s);
  BOOST_TEST(play.exit_code == 0, play.err);
  nginx.signal(SIGTERM);
  if (!nginx.wait(15s)) nginx.kill();
}

BOOST_AUTO_TEST_CASE(a_camera_outage_continues_the_playlist_with_a_discontinuity) {
  Camera cam;
  MjpegServer server({"--camera", "cam=" + cam.url("h264")});
  LlPlaylist p = first_playlist(server, "/cam/index.m3u8");
  std::uint64_t sequence = p.media_sequence;
  cam.stop();
  std::this_thread::sleep_for(5s);  // the outage
  cam.start();
  // A player's reloads go on through the outage (each bounded by the server)
  // until a complete segment after a discontinuity is listed.
  const auto after_outage = [](const LlPlaylist& l) -> const LlSegment* {
    bool seen = false;
    for (const auto& s : l.segments) {
      seen = seen || s.discontinuity;
      if (seen && s.duration) return &s;
    }
    return nullptr;
  };
  const bool back = poll_until(90s, [&] {
    const Reply r = get(server.at("/cam/index.m3u8?" + next_query(p)), {}, 60s);
    if (r.status != 200) return false;
    auto next = parse_ll_playlist(r.body);
    if (!next.error.empty()) return false;
    BOOST_TEST(next.media_sequence >= sequence);
    for (const auto& v : ll_rule_violations(next)) BOOST_ERROR(v);
    sequence = next.media_sequence;
    p = std::move(next);
    return after_outage(p) != nullptr;
  }, 10ms);
  BOOST_REQUIRE_MESSAGE(back, "no segment after a discontinuity within 90 s");
  const LlSegment& s = *after_outage(p);
  std::string log;
  const Reply init = get(server.at("/cam/" + s.map));
  const Reply media = get(server.at("/cam/" + s.uri));
  BOOST_TEST(decoded_frames(init.body + media.body, log) == static_cast<int>(std::lround(*s.duration * 25)), log);
}

BOOST_AUTO_TEST_CASE(an_mjpeg_camera_gets_415) {
  MjpegServer server({"--camera", "cam=" + camera().url("mjpeg")});
  BOOST_TEST(get(server.at("/cam/index.m3u8"), {}, 60s).status == 415);
}

BOOST_AUTO_TEST_CASE(part_and_segment_times_out_of_range_are_usage_errors) {
  const std::string serve = (bin_dir() / "cctv-mjpeg-serve").string();
  const std::string url = camera().url("h264");
  for (const auto& [args, why] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--hls-part-time", "3", "--hls-segment-time", "2"}, "longer than --hls-segment-time"},
           {{"--hls-part-time", "0"}, "--hls-part-time"},
           {{"--hls-segment-time", "0.1"}, "--hls-segment-time"},
           {{"--hls-segment-time", "nan"}, "--hls-segment-time"}}) {
    std::vector<std::string> argv{serve, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(url);
    const RunResult r = run_tool(argv, 30s);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err.find(why) != std::string::npos);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
  }
}

BOOST_AUTO_TEST_SUITE_END()
