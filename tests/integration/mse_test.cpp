// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's MSE side against the camera fixture: fMP4 over HTTP read by
// ffprobe, the WebSocket read by Boost.Beast's client, every byte decoded by FFmpeg.
#define BOOST_TEST_MODULE mse_integration
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "mjpeg_client.hpp"
#include "support.hpp"
#include "ws_client.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

Camera& camera() {
  static Camera cam;
  return cam;
}

bool is_box(const std::string& bytes, const char* type) { return bytes.size() >= 8 && bytes.compare(4, 4, type) == 0; }

// mvhd's duration (0: a live stream to Chromium), or -1 when there is no mvhd.
long long mvhd_duration(const std::string& init) {
  const auto pos = init.find("mvhd");
  if (pos == std::string::npos || pos + 36 > init.size()) return -1;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(init[i]); };
  const bool v1 = byte(pos + 4) == 1;
  const std::size_t at = pos + (v1 ? 28 : 20);
  long long d = 0;
  for (std::size_t i = 0; i < (v1 ? 8u : 4u); ++i) d = (d << 8) | byte(at + i);
  return d;
}

struct Viewer {
  std::string mime;
  std::string init;
  std::vector<WsClient::Message> fragments;
  Clock::time_point opened;
};

// Opens `path` as a WebSocket and reads the MIME message, the init segment
// and `frames` fragments.
Viewer watch(int port, const std::string& path, int frames) {
  Viewer v;
  v.opened = Clock::now();
  WsClient ws(port, path);
  BOOST_REQUIRE_EQUAL(ws.status(), 101);
  auto first = ws.read();
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(first->text);
  const auto msg = boost::json::parse(first->data).as_object();
  BOOST_TEST(msg.at("type").as_string() == "init");
  v.mime = std::string(msg.at("mime").as_string());
  auto init = ws.read();
  BOOST_REQUIRE(init);
  BOOST_REQUIRE(!init->text);
  v.init = init->data;
  for (int i = 0; i < frames; ++i) {
    auto m = ws.read();
    BOOST_REQUIRE_MESSAGE(m, "fragment " << i << " did not come");
    v.fragments.push_back(std::move(*m));
  }
  return v;
}

std::string joined(const Viewer& v) {
  std::string all = v.init;
  for (const auto& f : v.fragments) all += f.data;
  return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mse)

BOOST_AUTO_TEST_CASE(ffprobe_reads_stream_mp4_as_the_cameras_video) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  const RunResult r = run_tool({"ffprobe", "-hide_banner", "-v", "error", "-read_intervals", "%+5", "-show_entries",
                                "stream=codec_name,width,height:frame=key_frame,width,height", "-of", "compact",
                                server.at("/cam/stream.mp4")},
                               60s);
  BOOST_TEST_INFO("ffprobe: " << r.err);
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_TEST(r.err.empty(), "decoding errors: " << r.err);
  BOOST_TEST(r.out.find("stream|codec_name=h264|width=1280|height=720") != std::string::npos, r.out.substr(0, 300));
  std::vector<std::string> frames;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("frame|", 0) == 0) frames.push_back(line);
  }
  BOOST_TEST_MESSAGE("stream.mp4: " << frames.size() << " frames in 5 s of stream time");
  BOOST_REQUIRE(frames.size() >= 100u);
  BOOST_TEST(frames.front().find("key_frame=1") != std::string::npos, frames.front());
  for (const auto& f : frames) BOOST_TEST(f.find("width=1280|height=720") != std::string::npos, f);
}

BOOST_AUTO_TEST_CASE(websocket_sends_the_mime_type_the_init_segment_and_one_message_per_frame) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264"), "--camera", "hevc=" + camera().url("h265"),
                      "--camera", "pcma=" + camera().url("h264-pcma")});
  const Viewer v = watch(server.port(), "/cam/stream.ws", 50);
  BOOST_TEST(std::regex_match(v.mime, std::regex(R"(video/mp4; codecs="avc1\.[0-9a-f]{6}")")), v.mime);
  BOOST_TEST(is_box(v.init, "ftyp"));
  BOOST_TEST(v.init.find("moov") != std::string::npos);
  BOOST_TEST(v.init.find("mvex") != std::string::npos);
  BOOST_TEST(mvhd_duration(v.init) == 0);  // no duration: a live stream to the browser
  for (const auto& f : v.fragments) {
    BOOST_TEST(!f.text);
    BOOST_TEST(is_box(f.data, "moof"));
    BOOST_TEST(f.data.find("mdat") != std::string::npos);
  }
  std::string log;
  BOOST_TEST(decoded_frames(joined(v), log) == 50, log);

  // H.265 gets the hvc1 sample entry Safari needs, named in the MIME type.
  const Viewer h = watch(server.port(), "/hevc/stream.ws", 10);
  BOOST_TEST(h.mime.find("codecs=\"hvc1.") != std::string::npos, h.mime);
  BOOST_TEST(h.init.find("hvc1") != std::string::npos);
  BOOST_TEST(decoded_frames(joined(h), log) == 10, log);

  // G.711 comes as AAC; ?audio=0 leaves it out.
  const Viewer a = watch(server.port(), "/pcma/stream.ws", 25);
  BOOST_TEST(std::regex_match(a.mime, std::regex(R"(video/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2")")), a.mime);
  TempDir tmp;
  write_file(tmp.path() / "a.mp4", joined(a));
  const RunResult streams = run_tool({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                                      (tmp.path() / "a.mp4").string()});
  BOOST_TEST(streams.out == "h264\naac\n");
  const Viewer quiet = watch(server.port(), "/pcma/stream.ws?audio=0", 5);
  BOOST_TEST(quiet.mime.find("mp4a") == std::string::npos, quiet.mime);
}

BOOST_AUTO_TEST_CASE(a_viewer_joining_mid_gop_gets_the_cached_gop_at_once) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  // The first viewer keeps the camera connected; the fixture's GOP is 50 frames (2 s).
  WsClient keeper(server.port(), "/cam/stream.ws");
  BOOST_REQUIRE_EQUAL(keeper.status(), 101);
  BOOST_REQUIRE(keeper.read());  // the MIME message: the camera is connected
  // A join lands in a random place of the GOP; one with at least 10 frames
  // cached shows the cache. Up to 8 tries; P(all of them < 10) is 0.2^8.
  bool shown = false;
  for (int attempt = 0; attempt < 8 && !shown; ++attempt) {
    for (int i = 0; i < 12; ++i) BOOST_REQUIRE(keeper.read());  // time passes in the GOP
    const auto opened = Clock::now();
    WsClient late(server.port(), "/cam/stream.ws");
    BOOST_REQUIRE_EQUAL(late.status(), 101);
    Viewer v;
    auto mime = late.read();
    auto init = late.read();
    BOOST_REQUIRE(mime && init);
    v.init = init->data;
    // What arrives within 0.5 s of the first fragment: the cache comes in one burst.
    auto first = late.read();
    BOOST_REQUIRE(first);
    const double first_after = std::chrono::duration<double>(first->at - opened).count();
    v.fragments.push_back(*first);
    while (auto m = late.read(2s)) {
      if (m->at - first->at > 500ms) break;
      v.fragments.push_back(std::move(*m));
    }
    const auto burst = v.fragments.size();
    if (burst < 13) continue;  // 0.5 s of real time holds at most 12 or 13 frames
    shown = true;
    std::string log;
    BOOST_TEST_MESSAGE("join " << attempt << ": first fragment " << first_after * 1000 << " ms after opening, "
                               << burst << " fragments within 0.5 s (the cached GOP)");
    // A loaded machine may be slow to connect; the camera's next keyframe
    // could be up to 2 s away, and the burst shows it was not waited for.
    BOOST_TEST(first_after < 1.5);
    BOOST_TEST(decoded_frames(joined(v), log) == static_cast<int>(burst), log);
  }
  BOOST_TEST(shown, "no join found 10 or more frames of the GOP cached");
}

BOOST_AUTO_TEST_CASE(a_viewer_that_never_reads_slows_nobody_and_memory_stays_bounded) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  // The stalled viewer: a WebSocket upgrade by hand on a socket with a tiny
  // receive buffer, then nothing is read.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string upgrade =
      "GET /cam/stream.ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  BOOST_REQUIRE(::write(fd, upgrade.data(), upgrade.size()) == static_cast<ssize_t>(upgrade.size()));

  // The reader: 8 s of frames at the camera's pace while the other stalls.
  const long rss_start = rss_kib(server.process.pid());
  WsClient reader(server.port(), "/cam/stream.ws");
  BOOST_REQUIRE(reader.read() && reader.read());
  const auto start = Clock::now();
  int got = 0;
  while (Clock::now() - start < 8s) {
    BOOST_REQUIRE(reader.read());
    ++got;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  BOOST_TEST_MESSAGE("reader: " << got << " fragments in " << seconds << " s beside a stalled viewer");
  BOOST_TEST(got / seconds > 20.0);  // 25 fps, the GOP cache burst aside

  // The stalled viewer skips to keyframes: counted, and memory stays put.
  BOOST_TEST(poll_until(60s, [&] { return metric(server, "cctv_keyframe_skips_total", "cam") > 0; }, 500ms));
  const long rss_skipping = rss_kib(server.process.pid());
  for (int i = 0; i < 100; ++i) BOOST_REQUIRE(reader.read());
  const long rss_end = rss_kib(server.process.pid());
  BOOST_TEST_MESSAGE("server RSS: " << rss_start << " KiB, " << rss_skipping << " KiB when skipping, " << rss_end
                                    << " KiB 4 s later");
  BOOST_TEST(rss_end - rss_start < 64 * 1024);  // the queue holds 8 MiB or 2 s at most
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(a_websocket_viewer_gets_frames_again_after_a_camera_outage) {
  Camera cam;
  MjpegServer server({"--camera", "cam=" + cam.url("h264")});
  WsClient ws(server.port(), "/cam/stream.ws");
  BOOST_REQUIRE_EQUAL(ws.status(), 101);
  for (int i = 0; i < 27; ++i) BOOST_REQUIRE(ws.read());  // MIME, init, 25 frames
  cam.stop();
  std::this_thread::sleep_for(5s);  // the outage
  cam.start();
  // The same connection carries frames again once the server reconnected:
  // 50 more than the few sent before the stop and not read yet.
  int after = 0;
  while (after < 50) {
    auto m = ws.read(60s);
    BOOST_REQUIRE_MESSAGE(m, "the viewer got no frame after the camera came back (" << after << " read)");
    after += m->text ? 0 : 1;
  }
  BOOST_TEST(after == 50);
}

BOOST_AUTO_TEST_CASE(a_closed_viewer_that_sends_junk_is_dropped_and_others_go_on) {
  MjpegServer server({"--camera", "cam=" + camera().url("h264")});
  WsClient chatty(server.port(), "/cam/stream.ws");
  BOOST_REQUIRE(chatty.read());
  chatty.send("hello");
  // The server closes it: reads end within the deadline.
  int more = 0;
  while (chatty.read(20s)) ++more;
  BOOST_TEST(!chatty.open());
  BOOST_TEST(poll_until(30s, [&] { return metric(server, "cctv_mse_viewers", "cam") == 0; }, 200ms));
}

BOOST_AUTO_TEST_CASE(upgrades_need_credentials_and_the_servers_own_origin) {
  TempDir tmp;
  const std::string token = "0123456789abcdef0123";
  write_file(tmp.path() / "tokens", token + "\n");
  MjpegServer server({"--camera", "cam=" + camera().url("h264"), "--token-file", (tmp.path() / "tokens").string(),
                      "--allow-origin", "https://app.example.com"});
  BOOST_TEST(WsClient(server.port(), "/cam/stream.ws").status() == 401);
  BOOST_TEST(WsClient(server.port(), "/cam/stream.ws", {{"Authorization", "Bearer wrong-token-0123456"}}).status() ==
             401);
  WsClient bearer(server.port(), "/cam/stream.ws", {{"Authorization", "Bearer " + token}});
  BOOST_TEST(bearer.status() == 101);
  BOOST_TEST(WsClient(server.port(), "/cam/stream.ws?token=" + token).status() == 101);
  const std::string self = "http://127.0.0.1:" + std::to_string(server.port());
  BOOST_TEST(WsClient(server.port(), "/cam/stream.ws?token=" + token, {{"Origin", self}}).status() == 101);
  BOOST_TEST(WsClient(server.port(), "/cam/stream.ws?token=" + token, {{"Origin", "http://evil.example"}}).status() ==
             403);
  BOOST_TEST(WsClient(server.port(), "/cam/stream.ws?token=" + token, {{"Origin", "https://app.example.com"}}).status() ==
             101);
  // The stream itself over plain GET is not a WebSocket: 426.
  BOOST_TEST(get(server.at("/cam/stream.ws?token=" + token)).status == 426);
}

BOOST_AUTO_TEST_CASE(a_signed_link_opens_the_websocket_and_the_fmp4_stream_of_its_camera) {
  TempDir tmp;
  const std::string key_file = (tmp.path() / "url.key").string();
  write_file(key_file, "0123456789abcdef0123456789abcdef\n");
  MjpegServer server({"--camera", "cam=" + camera().url("h264"), "--camera", "other=" + camera().url("h264"),
                      "--url-key-file", key_file});
  const RunResult made = run_tool({(bin_dir() / "cctv-mjpeg-serve").string(), "--url-key-file", key_file, "--sign",
                                   "/cam/stream.ws"});
  BOOST_REQUIRE_EQUAL(made.exit_code, 0);
  const std::string link = made.out.substr(0, made.out.find('\n'));
  const std::string query = link.substr(link.find('?'));
  WsClient ws(server.port(), link);
  BOOST_REQUIRE_EQUAL(ws.status(), 101);
  auto mime = ws.read();
  BOOST_REQUIRE(mime);
  BOOST_TEST(mime->text);
  BOOST_TEST(WsClient(server.port(), "/other/stream.ws" + query).status() == 403);
  BOOST_TEST(WsClient(server.port(), "/cam/stream.ws").status() == 403);
  const Reply mp4 = get(server.at("/cam/stream.mp4" + query), {"--max-time", "3"});
  BOOST_TEST(mp4.status == 200);
  BOOST_TEST(mp4.type == "video/mp4");
  BOOST_TEST(is_box(mp4.body, "ftyp"));
}

BOOST_AUTO_TEST_CASE(an_mjpeg_camera_is_refused_with_the_reason) {
  MjpegServer server({"--camera", "cam=" + camera().url("mjpeg")});
  WsClient ws(server.port(), "/cam/stream.ws");
  BOOST_REQUIRE_EQUAL(ws.status(), 101);  // not known until the camera is connected
  BOOST_TEST(!ws.read(60s));
  BOOST_TEST(ws.close_reason().code == 1003);
  BOOST_TEST(std::string(ws.close_reason().reason.data(), ws.close_reason().reason.size()).find("mjpeg") != std::string::npos);
  // Known now: the fMP4 stream gets 415 at once, and a WebSocket the same
  // close (a page tells that from a failure and shows MJPEG).
  BOOST_TEST(get(server.at("/cam/stream.mp4")).status == 415);
  WsClient again(server.port(), "/cam/stream.ws");
  BOOST_REQUIRE_EQUAL(again.status(), 101);
  BOOST_TEST(!again.read(60s));
  BOOST_TEST(again.close_reason().code == 1003);
}

BOOST_AUTO_TEST_SUITE_END()
