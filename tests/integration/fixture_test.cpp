// SPDX-License-Identifier: MIT
// The camera fixture and the test support library, checked with an independent reader (ffprobe).
#define BOOST_TEST_MODULE fixture_integration
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;

namespace {

using Fields = std::map<std::string, std::string>;

// One camera for the whole binary; tests that stop a camera start their own.
Camera& camera() {
  static Camera cam;
  return cam;
}

// ffprobe on an RTSP URL over `transport`, with extra options before the URL.
RunResult ffprobe(const std::string& url, std::vector<std::string> options,
                  const std::string& transport = "tcp", std::chrono::milliseconds deadline = 20s) {
  std::vector<std::string> argv = {"ffprobe", "-hide_banner", "-rtsp_transport", transport};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(url);
  return run_tool(argv, deadline);
}

// The sections named `section` of ffprobe's "compact" output, as key=value maps.
std::vector<Fields> sections(const std::string& out, const std::string& section) {
  std::vector<Fields> result;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(section + "|", 0) != 0) continue;
    Fields fields;
    std::istringstream parts(line.substr(section.size() + 1));
    std::string part;
    while (std::getline(parts, part, '|')) {
      const auto eq = part.find('=');
      if (eq != std::string::npos) fields[part.substr(0, eq)] = part.substr(eq + 1);
    }
    result.push_back(std::move(fields));
  }
  return result;
}

// What ffprobe said about a URL. The helpers below run on worker threads, so
// they make no Boost.Test assertion (it is not thread safe): callers check.
struct Probe {
  int exit_code = -1;
  std::string err;
  std::vector<Fields> streams;
  std::vector<Fields> video;  // packets of stream 0
  std::vector<Fields> audio;  // packets of stream 1
  double seconds = 0;
};

Probe streams_of(const std::string& url) {
  const RunResult r = ffprobe(url, {"-v", "error", "-show_entries",
                                    "stream=codec_type,codec_name,width,height,sample_rate,channels",
                                    "-of", "compact"});
  return Probe{r.exit_code, r.err, sections(r.out, "stream"), {}, {}, r.seconds};
}

// Reads `interval` (ffprobe -read_intervals, e.g. "%+5") of packets of `url`.
Probe read_packets(const std::string& url, const std::string& interval,
                   const std::string& transport = "tcp") {
  const RunResult r = ffprobe(url,
                              {"-v", "error", "-show_entries", "packet=stream_index,pts_time,flags",
                               "-of", "compact", "-read_intervals", interval},
                              transport, 30s);
  Probe probe{r.exit_code, r.err, {}, {}, {}, r.seconds};
  for (auto& p : sections(r.out, "packet")) {
    (p["stream_index"] == "0" ? probe.video : probe.audio).push_back(std::move(p));
  }
  return probe;
}

// One RTSP session as ffprobe saw it: RTP-Info of the PLAY reply and the first video packet.
struct Join {
  std::chrono::steady_clock::time_point at;
  std::uint32_t seq = 0;
  std::uint32_t rtptime = 0;
  bool first_packet_key = false;
  bool ok = false;
};

Join join(const std::string& url) {
  Join j;
  j.at = std::chrono::steady_clock::now();
  // trace level prints the server's RTSP replies, RTP-Info included. No
  // probing: the packets come out as they arrive, the first one first.
  const RunResult r = ffprobe(url, {"-v", "trace", "-analyzeduration", "0", "-probesize", "32",
                                    "-show_entries", "packet=stream_index,flags", "-of", "compact",
                                    "-read_intervals", "%+#3"});
  const auto info = r.err.find("RTP-Info: url=");
  const auto seq = r.err.find(";seq=", info);
  const auto rtptime = r.err.find(";rtptime=", info);
  const auto packets = sections(r.out, "packet");
  if (r.exit_code != 0 || info == std::string::npos || seq == std::string::npos ||
      rtptime == std::string::npos || packets.empty()) {
    return j;
  }
  j.seq = static_cast<std::uint32_t>(std::strtoul(r.err.c_str() + seq + 5, nullptr, 10));
  j.rtptime = static_cast<std::uint32_t>(std::strtoul(r.err.c_str() + rtptime + 9, nullptr, 10));
  j.first_packet_key = packets.front().at("flags").find('K') != std::string::npos;
  j.ok = true;
  return j;
}

bool connects(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(camera_fixture)

BOOST_AUTO_TEST_CASE(serves_each_mount_with_its_codec_and_size) {
  struct Expected {
    const char* mount;
    const char* codec;
    const char* width;
    const char* height;
  };
  const std::vector<Expected> mounts = {{"h264", "h264", "1280", "720"},
                                        {"h265", "hevc", "1280", "720"},
                                        {"mjpeg", "mjpeg", "640", "360"},
                                        {"h264-pcma", "h264", "1280", "720"}};
  // A mid-GOP join costs ffprobe up to a GOP (2 s) of waiting: probe all at once.
  std::vector<std::future<Probe>> probes;
  for (const auto& m : mounts) {
    probes.push_back(std::async(std::launch::async, streams_of, camera().url(m.mount)));
  }
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    BOOST_TEST_CONTEXT("mount /" << mounts[i].mount) {
      const Probe probe = probes[i].get();
      BOOST_TEST_INFO("ffprobe: " << probe.err);
      BOOST_REQUIRE_EQUAL(probe.exit_code, 0);
      const auto& streams = probe.streams;
      BOOST_REQUIRE(!streams.empty());
      BOOST_TEST(streams[0].at("codec_type") == "video");
      BOOST_TEST(streams[0].at("codec_name") == mounts[i].codec);
      BOOST_TEST(streams[0].at("width") == mounts[i].width);
      BOOST_TEST(streams[0].at("height") == mounts[i].height);
      const bool with_audio = std::string(mounts[i].mount) == "h264-pcma";
      BOOST_REQUIRE_EQUAL(streams.size(), with_audio ? 2u : 1u);
      if (with_audio) {
        BOOST_TEST(streams[1].at("codec_name") == "pcm_alaw");
        BOOST_TEST(streams[1].at("sample_rate") == "8000");
        BOOST_TEST(streams[1].at("channels") == "1");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_path_answers_404) {
  const RunResult r = ffprobe(camera().url("no-such-mount"), {"-v", "error"});
  BOOST_TEST_INFO(r.err);
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(contains(r.err, "404"));
}

BOOST_AUTO_TEST_CASE(auth_mount_asks_a_client_without_credentials_for_them) {
  const RunResult r = ffprobe(camera().url("auth"), {"-v", "trace"});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(contains(r.err, "401 Unauthorized"));
  // The default instance offers both methods.
  BOOST_TEST(contains(r.err, "WWW-Authenticate: Basic"));
  BOOST_TEST(contains(r.err, "WWW-Authenticate: Digest"));
}

BOOST_AUTO_TEST_CASE(auth_mount_refuses_a_wrong_password) {
  const RunResult r = ffprobe(camera().url_with_auth("auth", "admin", "wrong"), {"-v", "error"});
  BOOST_TEST_INFO(r.err);
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(contains(r.err, "401"));
}

BOOST_AUTO_TEST_CASE(auth_mount_accepts_admin_secret_with_basic_or_digest) {
  Camera basic_only(CameraOptions{.auth = "basic"});
  Camera digest_only(CameraOptions{.auth = "digest"});
  struct Case {
    const char* name;
    Camera& cam;
    const char* method;  // the Authorization scheme ffprobe must end up using
  };
  const std::vector<Case> cases = {{"both", camera(), "Digest"},  // ffmpeg prefers Digest
                                   {"basic", basic_only, "Basic"},
                                   {"digest", digest_only, "Digest"}};
  std::vector<std::future<RunResult>> runs;
  for (const auto& c : cases) {
    runs.push_back(std::async(std::launch::async, [&c] {
      return ffprobe(c.cam.url_with_auth("auth", "admin", "secret"),
                     {"-v", "trace", "-show_entries", "stream=codec_name", "-of", "compact"});
    }));
  }
  // Only /auth is protected: the other mounts stay open on an auth-only instance too.
  auto open = std::async(std::launch::async, streams_of, basic_only.url("h264"));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    BOOST_TEST_CONTEXT("--auth " << cases[i].name) {
      const RunResult r = runs[i].get();
      BOOST_TEST(r.exit_code == 0);
      BOOST_TEST(contains(r.out, "codec_name=h264"));
      BOOST_TEST(contains(r.err, std::string("Authorization: ") + cases[i].method));
    }
  }
  const Probe open_probe = open.get();
  BOOST_TEST_INFO("ffprobe: " << open_probe.err);
  BOOST_REQUIRE_EQUAL(open_probe.exit_code, 0);
  BOOST_REQUIRE(!open_probe.streams.empty());
  BOOST_TEST(open_probe.streams[0].at("codec_name") == "h264");
}

BOOST_AUTO_TEST_CASE(streams_in_real_time) {
  // 5 s of stream hold 125 frames (+-8) and take 5 s of wall time. /h264-pcma
  // is read by packet count (125 video + 250 audio): once RTCP arrives, ffmpeg
  // re-times two-stream sessions from the sender reports, which can move a
  // time-bounded read window; the count is immune to that.
  struct Read {
    std::string mount;
    std::string interval;
  };
  const std::vector<Read> plan = {
      {"h264", "%+5"}, {"h265", "%+5"}, {"mjpeg", "%+5"}, {"h264-pcma", "%+#375"}};
  std::vector<std::future<Probe>> reads;
  for (const auto& r : plan) {
    reads.push_back(
        std::async(std::launch::async, read_packets, camera().url(r.mount), r.interval, "tcp"));
  }
  for (std::size_t i = 0; i < plan.size(); ++i) {
    BOOST_TEST_CONTEXT("mount /" << plan[i].mount) {
      const Probe p = reads[i].get();
      BOOST_TEST_INFO("ffprobe: " << p.err);
      BOOST_REQUIRE_EQUAL(p.exit_code, 0);
      const auto frames = static_cast<int>(p.video.size());
      BOOST_TEST_MESSAGE("/" << plan[i].mount << ": " << frames << " video packets, "
                             << p.audio.size() << " audio packets in " << p.seconds << " s");
      BOOST_TEST(std::abs(frames - 125) <= 8);
      BOOST_TEST(p.seconds >= 4.5);
      BOOST_TEST(p.seconds <= 7.5);
      if (plan[i].mount == "h264-pcma") {
        // 20 ms per RTP/PCMA packet.
        BOOST_TEST(std::abs(static_cast<int>(p.audio.size()) - 250) <= 16);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(timestamps_keep_growing_across_the_clip_loop) {
  // The 10 s clip restarts at least once within 10.5 s of stream.
  const Probe p = read_packets(camera().url("h264"), "%+10.5");
  BOOST_TEST_INFO("ffprobe: " << p.err);
  BOOST_REQUIRE_EQUAL(p.exit_code, 0);
  BOOST_TEST_MESSAGE("/h264: " << p.video.size() << " video packets in " << p.seconds << " s");
  BOOST_TEST(std::abs(static_cast<int>(p.video.size()) - 263) <= 10);
  double previous = -1;
  double largest_step = 0;
  int backwards = 0;
  for (const auto& packet : p.video) {
    const std::string& pts = packet.at("pts_time");
    if (pts == "N/A") continue;  // ffmpeg gives the very first RTP packet no time
    const double t = std::stod(pts);
    if (previous >= 0) {
      if (t <= previous) ++backwards;
      largest_step = std::max(largest_step, t - previous);
    }
    previous = t;
  }
  BOOST_TEST(backwards == 0);
  BOOST_TEST(largest_step < 0.1);  // 40 ms per frame; no jump at the loop
}

BOOST_AUTO_TEST_CASE(later_session_joins_the_running_stream_mid_gop) {
  // The media runs without clients: a session joining later sees the RTP clock
  // advanced by the wall time in between (not restarted), and starts at
  // whatever frame is current (usually not a keyframe: 1 in 50).
  std::vector<Join> joins;
  for (int i = 0; i < 4; ++i) {
    joins.push_back(join(camera().url("h264")));
    BOOST_REQUIRE(joins.back().ok);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 170 * i));
  }
  int keyframe_starts = 0;
  for (std::size_t i = 0; i < joins.size(); ++i) {
    keyframe_starts += joins[i].first_packet_key ? 1 : 0;
    if (i == 0) continue;
    const double wall = std::chrono::duration<double>(joins[i].at - joins[i - 1].at).count();
    const double rtp = static_cast<std::uint32_t>(joins[i].rtptime - joins[i - 1].rtptime) / 90000.0;
    BOOST_TEST_MESSAGE("join " << i << ": wall +" << wall << " s, RTP clock +" << rtp
                               << " s, seq +" << joins[i].seq - joins[i - 1].seq);
    BOOST_TEST(std::abs(rtp - wall) < 0.5);
    BOOST_TEST(static_cast<std::int32_t>(joins[i].seq - joins[i - 1].seq) > 0);
  }
  BOOST_TEST_MESSAGE("sessions starting on a keyframe: " << keyframe_starts << " of " << joins.size());
  BOOST_TEST(keyframe_starts < static_cast<int>(joins.size()));
}

BOOST_AUTO_TEST_CASE(clock_mount_frames_show_when_they_were_made) {
  // 25 frames decoded by ffmpeg as 640x360 grey: every one carries a valid
  // stamp, between the request and the read, 40 ms apart (a live 25 fps encoder).
  constexpr int kFrames = 25;
  constexpr std::size_t kFrameBytes = 640 * 360;
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = now_ms();
  const RunResult r = run_tool({"ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_transport",
                                "tcp", "-i", camera().url("clock"), "-frames:v",
                                std::to_string(kFrames), "-f", "rawvideo", "-pix_fmt", "gray", "-"},
                               60s);
  const std::int64_t after = now_ms();
  BOOST_TEST_INFO("ffmpeg: " << r.err);
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_REQUIRE_EQUAL(r.out.size(), kFrames * kFrameBytes);
  std::vector<std::int64_t> stamps;
  for (int i = 0; i < kFrames; ++i) {
    const auto* luma = reinterpret_cast<const std::uint8_t*>(r.out.data()) + i * kFrameBytes;
    const auto stamp = read_clock_stamp(luma, 640, 640, 360);
    BOOST_TEST_CONTEXT("frame " << i) {
      BOOST_REQUIRE(stamp.has_value());
      BOOST_TEST(*stamp >= before);
      BOOST_TEST(*stamp <= after);
    }
    stamps.push_back(*stamp);
  }
  // 24 steps of 40 ms; a loaded machine may bunch frames but not reorder them.
  for (std::size_t i = 1; i < stamps.size(); ++i) BOOST_TEST(stamps[i] > stamps[i - 1]);
  const double mean_step = static_cast<double>(stamps.back() - stamps.front()) / (kFrames - 1);
  BOOST_TEST_MESSAGE("/clock: mean step " << mean_step << " ms");
  BOOST_TEST(mean_step > 30.0);
  BOOST_TEST(mean_step < 60.0);
  // A frame of another mount holds no stamp.
  std::vector<std::uint8_t> grey(kFrameBytes, 128);
  BOOST_TEST(!read_clock_stamp(grey.data(), 640, 640, 360).has_value());
}

BOOST_AUTO_TEST_CASE(serves_concurrent_tcp_and_udp_clients) {
  constexpr int kClients = 16;
  const std::vector<std::string> mounts = {"h264", "mjpeg", "h265"};
  std::vector<std::future<Probe>> reads;
  for (int i = 0; i < kClients; ++i) {
    const std::string transport = i % 4 == 0 ? "udp" : "tcp";
    reads.push_back(std::async(std::launch::async, read_packets,
                               camera().url(mounts[i % mounts.size()]), "%+2", transport));
  }
  for (int i = 0; i < kClients; ++i) {
    BOOST_TEST_CONTEXT("client " << i << " /" << mounts[i % mounts.size()]
                                 << (i % 4 == 0 ? " udp" : " tcp")) {
      const Probe p = reads[i].get();
      BOOST_TEST_INFO("ffprobe: " << p.err);
      BOOST_TEST(p.exit_code == 0);
      BOOST_TEST(std::abs(static_cast<int>(p.video.size()) - 50) <= 6);
    }
  }
}

BOOST_AUTO_TEST_CASE(accepts_many_sequential_sessions) {
  // Each run is a whole DESCRIBE, SETUP, PLAY, TEARDOWN; no probing delay.
  constexpr int kSessions = 25;
  int ok = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kSessions; ++i) {
    const RunResult r = ffprobe(camera().url(i % 2 == 0 ? "h264" : "mjpeg"),
                                {"-v", "error", "-analyzeduration", "0", "-probesize", "32",
                                 "-show_entries", "packet=flags", "-of", "compact",
                                 "-read_intervals", "%+#2"},
                                "tcp", 30s);
    ok += (r.exit_code == 0 && sections(r.out, "packet").size() == 2) ? 1 : 0;
  }
  BOOST_TEST_MESSAGE(kSessions << " sessions in "
                               << std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                                started)
                                      .count()
                               << " s");
  BOOST_TEST(ok == kSessions);
}

BOOST_AUTO_TEST_CASE(restarts_on_the_same_port_after_a_stop) {
  Camera cam;
  const int port = cam.port();
  // A client is connected while the camera stops, as in a real outage.
  Process client({"ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-analyzeduration", "0",
                  "-probesize", "32", "-show_entries", "packet=flags", "-of", "compact",
                  cam.url("h264")});
  BOOST_REQUIRE(client.read_line(30s).has_value());
  const auto stopped = cam.stop();  // SIGTERM: clean exit 0
  BOOST_TEST_INFO("stderr: " << cam.stderr_text());
  BOOST_TEST(stopped.value_or(-1) == 0);
  BOOST_TEST(!connects(port));
  BOOST_TEST(client.wait(30s).has_value());  // the client saw the outage
  cam.start();
  BOOST_TEST(cam.port() == port);
  const RunResult r = ffprobe(cam.url("h264"), {"-v", "error", "-analyzeduration", "0",
                                                 "-probesize", "32", "-show_entries",
                                                 "stream=codec_name", "-of", "compact"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(contains(r.out, "codec_name=h264"));
}

BOOST_AUTO_TEST_CASE(exits_0_on_sigint_and_2_on_a_bad_option) {
  Process cam({"cctv-test-camera", "--media-dir", media_dir().string()});
  const auto ready = cam.read_line(30s);
  BOOST_REQUIRE(ready.has_value());
  BOOST_TEST(ready->rfind("READY port=", 0) == 0u);
  cam.signal(SIGINT);
  const auto status = cam.wait(20s);
  BOOST_TEST_INFO("stderr: " << cam.stderr_text());
  BOOST_TEST(status.value_or(-1) == 0);

  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"cctv-test-camera", "--media-dir", media_dir().string(), "--port",
                                 "x"},
        std::vector<std::string>{"cctv-test-camera", "--media-dir", media_dir().string(), "--auth",
                                 "ntlm"},
        std::vector<std::string>{"cctv-test-camera"}}) {
    const RunResult usage = run_tool(argv);
    BOOST_TEST_INFO("stderr: " << usage.err);
    BOOST_TEST(usage.exit_code == 2);
  }
  const RunResult missing = run_tool({"cctv-test-camera", "--media-dir", "/nonexistent"});
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(contains(missing.err, "/nonexistent"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(support_library)

BOOST_AUTO_TEST_CASE(run_tool_kills_a_child_at_its_deadline) {
  const RunResult r = run_tool({"sleep", "30"}, 300ms);
  BOOST_TEST(r.timed_out);
  BOOST_TEST(r.exit_code == 128 + SIGKILL);
  BOOST_TEST(r.seconds < 2.0);
}

BOOST_AUTO_TEST_CASE(run_tool_captures_large_stdout_and_stderr_together) {
  // 4 MiB on each stream: far beyond a pipe's buffer, so both must be read at once.
  const RunResult r = run_tool(
      {"sh", "-c", "head -c 4194304 /dev/zero; head -c 4194304 /dev/zero >&2; exit 3"}, 20s);
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.out.size() == 4194304u);
  BOOST_TEST(r.err.size() == 4194304u);
}

BOOST_AUTO_TEST_CASE(run_tool_feeds_stdin_and_changes_the_environment) {
  ::setenv("CCTV_FIXTURE_TEST_REMOVE_ME", "present", 1);
  const RunResult r =
      run_tool({"sh", "-c", "cat; echo \"[$CCTV_A][${CCTV_FIXTURE_TEST_REMOVE_ME-unset}]\""}, 10s,
               {{"CCTV_A", "a value"}, {"CCTV_FIXTURE_TEST_REMOVE_ME", ""}}, "from stdin\n");
  ::unsetenv("CCTV_FIXTURE_TEST_REMOVE_ME");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out == "from stdin\n[a value][unset]\n");
}

BOOST_AUTO_TEST_CASE(run_tool_rejects_an_unknown_program) {
  BOOST_CHECK_THROW(run_tool({"cctv-no-such-tool-anywhere"}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(process_reads_lines_and_reports_the_exit_status) {
  Process p({"sh", "-c", "echo one; echo two; read line; echo \"got $line\"; exit 4"});
  BOOST_TEST(p.read_line(5s).value_or("<none>") == "one");
  BOOST_TEST(p.read_line(5s).value_or("<none>") == "two");
  BOOST_TEST(!p.read_line(100ms).has_value());  // waiting for stdin
  p.write_stdin("hello\n");
  BOOST_TEST(p.read_line(5s).value_or("<none>") == "got hello");
  BOOST_TEST(p.wait(5s).value_or(-1) == 4);
  BOOST_TEST(!p.running());
}

BOOST_AUTO_TEST_CASE(process_stdin_keeps_write_order_and_close_gives_eof) {
  Process p({"cat"});
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const std::string line = "line " + std::to_string(i) + std::string(1000, 'x');
    p.write_stdin(line + "\n");
    expected += line + "\n";
  }
  p.close_stdin();
  std::string got;
  for (int i = 0; i < 200; ++i) {
    const auto line = p.read_line(5s);
    if (!line) break;
    got += *line + "\n";
  }
  BOOST_TEST((got == expected));
  BOOST_TEST(!p.read_line(5s).has_value());  // EOF after cat saw its stdin close
  BOOST_TEST(p.wait(5s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(process_is_killed_when_destroyed) {
  int pid = 0;
  {
    Process p({"sleep", "30"});
    pid = p.pid();
    BOOST_TEST(p.running());
  }
  BOOST_TEST(::kill(pid, 0) != 0);  // gone and reaped
}

BOOST_AUTO_TEST_CASE(silent_listener_accepts_and_never_writes) {
  SilentListener silent;
  const RunResult r = run_tool({"ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
                                "1000000", "rtsp://127.0.0.1:" + std::to_string(silent.port()) + "/x"},
                               10s);
  BOOST_TEST(r.exit_code != 0);  // ffprobe gave up after its 1 s timeout, not at our deadline
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(silent.accepted() >= 1);
}

BOOST_AUTO_TEST_CASE(closed_port_refuses_connections) {
  BOOST_TEST(!connects(closed_port()));
}

BOOST_AUTO_TEST_CASE(temp_dir_is_removed_with_its_contents) {
  std::filesystem::path kept;
  {
    TempDir dir;
    kept = dir.path();
    BOOST_TEST(std::filesystem::is_directory(kept));
    std::filesystem::create_directories(kept / "a" / "b");
    std::ofstream(kept / "a" / "b" / "file") << "data";
  }
  BOOST_TEST(!std::filesystem::exists(kept));
}

BOOST_AUTO_TEST_SUITE_END()
