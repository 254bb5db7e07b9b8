// SPDX-License-Identifier: MIT
// cctv-probe run as a user would, against the gst-rtsp-server camera fixture.
#define BOOST_TEST_MODULE probe_integration
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// One camera for the whole binary (it binds port 0 and prints its port).
struct CameraFixture {
  static Camera& camera() {
    static Camera cam;
    return cam;
  }
};

RunResult run_probe(std::vector<std::string> args, std::chrono::milliseconds deadline = 30s,
                const std::vector<std::pair<std::string, std::string>>& env = {}) {
  args.insert(args.begin(), "cctv-probe");
  return run_tool(args, deadline, env);
}

json::object probe_json(const std::vector<std::string>& args, int expect_exit = 0) {
  std::vector<std::string> a{"--json"};
  a.insert(a.end(), args.begin(), args.end());
  const RunResult r = run_probe(a);
  BOOST_TEST_INFO("stderr: " << r.err);
  BOOST_REQUIRE_EQUAL(r.exit_code, expect_exit);
  return json::parse(r.out).as_object();
}

json::object first_result(const json::object& doc) { return doc.at("results").as_array().at(0).as_object(); }

int line_count(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

BOOST_AUTO_TEST_SUITE(probe)

BOOST_AUTO_TEST_CASE(each_mount_probes_with_its_codec_and_size) {
  Camera& cam = CameraFixture::camera();
  struct Mount { const char* path; const char* codec; int w; int h; const char* audio; };
  for (const Mount m : {Mount{"h264", "h264", 1280, 720, nullptr}, Mount{"h265", "hevc", 1280, 720, nullptr},
                        Mount{"mjpeg", "mjpeg", 640, 360, nullptr}, Mount{"h264-pcma", "h264", 1280, 720, "pcm_alaw"}}) {
    BOOST_TEST_CONTEXT("mount " << m.path) {
      const auto r = first_result(probe_json({cam.url(m.path)}));
      BOOST_TEST(r.at("status").as_string() == "ok");
      BOOST_TEST(r.at("transport").as_string() == "tcp");
      const auto& v = r.at("video").as_object();
      BOOST_TEST(v.at("codec").as_string() == m.codec);
      BOOST_TEST(v.at("width").as_int64() == m.w);
      BOOST_TEST(v.at("height").as_int64() == m.h);
      BOOST_TEST(r.at("connect_ms").as_int64() >= 0);
      BOOST_TEST(r.at("keyframe_ms").as_int64() >= r.at("connect_ms").as_int64());
      BOOST_TEST(r.at("measured").is_null());
      if (m.audio != nullptr) {
        const auto& a = r.at("audio").as_object();
        BOOST_TEST(a.at("codec").as_string() == m.audio);
        BOOST_TEST(a.at("sample_rate").as_int64() == 8000);
        BOOST_TEST(a.at("channels").as_int64() == 1);
      } else {
        BOOST_TEST(r.at("audio").is_null());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(h264_json_fields_are_complete) {
  const auto doc = probe_json({CameraFixture::camera().url("h264")});
  BOOST_TEST(doc.at("tool").as_string() == "cctv-probe");
  BOOST_TEST(doc.at("version").is_string());
  const auto r = first_result(doc);
  BOOST_TEST(r.at("exit_code").as_int64() == 0);
  BOOST_TEST(r.at("error").is_null());
  BOOST_TEST(r.at("url").as_string() == CameraFixture::camera().url("h264"));
  const auto& v = r.at("video").as_object();
  BOOST_TEST(v.at("profile").is_string());
  BOOST_TEST(v.at("level").is_string());
  BOOST_TEST(v.at("pix_fmt").as_string() == "yuv420p");
  BOOST_TEST(std::abs(v.at("fps_declared").to_number<double>() - 25.0) < 0.01);
}

BOOST_AUTO_TEST_CASE(sample_measures_25_fps_and_a_2_second_gop) {
  const auto r = first_result(probe_json({"--sample", "5", CameraFixture::camera().url("h264")}));
  const auto& m = r.at("measured").as_object();
  BOOST_TEST(std::abs(m.at("fps").to_number<double>() - 25.0) <= 1.0);
  BOOST_TEST(std::abs(m.at("gop_seconds").to_number<double>() - 2.0) <= 0.2);
  BOOST_TEST(std::abs(m.at("gop_frames").to_number<double>() - 50.0) <= 5.0);
  BOOST_TEST(m.at("seconds").to_number<double>() >= 5.0);
  BOOST_TEST(m.at("bitrate_kbps").to_number<double>() > 10.0);
  const auto& jumps = m.at("timestamp_jumps").as_object();
  BOOST_TEST(jumps.at("count").as_int64() == 0);
  BOOST_TEST(jumps.at("largest_seconds").to_number<double>() == 0.0);
}

// A camera resyncing its clock (NTP): /clock-jump steps its timestamps back
// 5 s and forward 30 s within any 25 s while frames keep their pace. Media
// time gave 30 fps, a 1.667 s GOP and a 30 s run; the arrival clock does not.
BOOST_AUTO_TEST_CASE(clock_jumps_are_reported_and_move_neither_figures_nor_sample_length) {
  const RunResult r = run_probe({"--sample", "25", "--json", CameraFixture::camera().url("clock-jump")}, 60s);
  BOOST_TEST_INFO("stderr: " << r.err);
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  const auto m = first_result(json::parse(r.out).as_object()).at("measured").as_object();
  BOOST_TEST_MESSAGE("clock-jump --sample 25: " << json::serialize(m.at("timestamp_jumps")) << ", fps "
                     << m.at("fps").to_number<double>() << ", GOP " << m.at("gop_frames").to_number<double>()
                     << " frames " << m.at("gop_seconds").to_number<double>() << " s, "
                     << m.at("bitrate_kbps").to_number<double>() << " kbit/s over "
                     << m.at("seconds").to_number<double>() << " s; run " << r.seconds << " s");
  BOOST_TEST(std::abs(m.at("fps").to_number<double>() - 25.0) <= 1.0);
  BOOST_TEST(std::abs(m.at("gop_seconds").to_number<double>() - 2.0) <= 0.2);
  BOOST_TEST(std::abs(m.at("gop_frames").to_number<double>() - 50.0) <= 2.0);
  BOOST_TEST(std::abs(m.at("seconds").to_number<double>() - 25.0) <= 1.0);
  const auto& jumps = m.at("timestamp_jumps").as_object();
  BOOST_TEST(jumps.at("count").as_int64() >= 2);
  BOOST_TEST(jumps.at("back").as_int64() >= 1);
  BOOST_TEST(jumps.at("forward").as_int64() >= 1);
  BOOST_TEST(jumps.at("largest_seconds").to_number<double>() >= 25.0);
  BOOST_TEST(r.seconds < 25.0 + 15.0);  // connect, a keyframe, 25 s: never 30 s of media
}

BOOST_AUTO_TEST_CASE(fast_answers_from_the_session_description) {
  const auto r = first_result(probe_json({"--fast", CameraFixture::camera().url("h264-pcma")}));
  BOOST_TEST(r.at("status").as_string() == "ok");
  BOOST_TEST(r.at("keyframe_ms").is_null());
  BOOST_TEST(r.at("video").at("codec").as_string() == "h264");
  BOOST_TEST(r.at("audio").at("codec").as_string() == "pcm_alaw");
}

BOOST_AUTO_TEST_CASE(udp_transport_works_on_loopback) {
  const auto r = first_result(probe_json({"--transport", "udp", CameraFixture::camera().url("h264")}));
  BOOST_TEST(r.at("transport").as_string() == "udp");
  BOOST_TEST(r.at("video").at("width").as_int64() == 1280);
}

BOOST_AUTO_TEST_CASE(auth_mount_without_credentials_exits_4) {
  const RunResult r = run_probe({CameraFixture::camera().url("auth")});
  BOOST_TEST(r.exit_code == 4);
  BOOST_TEST(r.err.find("authentication failed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(auth_mount_with_wrong_password_exits_4_and_never_prints_it) {
  const RunResult r = run_probe({CameraFixture::camera().url_with_auth("auth", "admin", "wrongpass")});
  BOOST_TEST(r.exit_code == 4);
  BOOST_TEST(r.out.find("wrongpass") == std::string::npos);
  BOOST_TEST(r.err.find("wrongpass") == std::string::npos);
  BOOST_TEST(r.out.find("admin:***@") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(auth_mount_accepts_every_credential_source) {
  Camera& cam = CameraFixture::camera();
  TempDir tmp;
  const auto pw = tmp.path() / "pw";
  std::ofstream(pw) << "secret\n";
  std::ofstream(tmp.path() / "cctv-password") << "secret\n";
  const std::string plain = cam.url("auth");
  struct Way { const char* name; std::vector<std::string> args; std::vector<std::pair<std::string, std::string>> env; };
  const std::vector<Way> ways{
      {"url", {cam.url_with_auth("auth", "admin", "secret")}, {}},
      {"password-file", {"--user", "admin", "--password-file", pw.string(), plain}, {}},
      {"env", {"--user", "admin", plain}, {{"CCTV_PASSWORD", "secret"}}},
      {"systemd", {"--user", "admin", plain}, {{"CREDENTIALS_DIRECTORY", tmp.path().string()}}},
  };
  for (const Way& w : ways) {
    BOOST_TEST_CONTEXT("credentials from " << w.name) {
      const RunResult r = run_probe(w.args, 30s, w.env);
      BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
      BOOST_TEST(r.out.find("secret") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(basic_only_and_digest_only_servers_both_authenticate) {
  for (const char* method : {"basic", "digest"}) {
    BOOST_TEST_CONTEXT("auth " << method) {
      Camera cam(CameraOptions{.auth = method});
      BOOST_TEST(run_probe({"--fast", cam.url("auth")}).exit_code == 4);
      BOOST_TEST(run_probe({"--fast", cam.url_with_auth("auth", "admin", "secret")}).exit_code == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_path_exits_5) {
  const RunResult r = run_probe({CameraFixture::camera().url("no-such-stream")});
  BOOST_TEST(r.exit_code == 5);
  BOOST_TEST(r.err.find("not found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(closed_port_exits_3) {
  const RunResult r = run_probe({"rtsp://127.0.0.1:" + std::to_string(closed_port()) + "/h264"});
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.err.find("connection refused") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(silent_listener_exits_3_within_the_timeout) {
  SilentListener silent;
  const RunResult r =
      run_probe({"--timeout", "2", "--json", "rtsp://127.0.0.1:" + std::to_string(silent.port()) + "/h264"}, 10s);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.seconds < 3.0);
  BOOST_TEST(first_result(json::parse(r.out).as_object()).at("status").as_string() == "timeout");
}

BOOST_AUTO_TEST_CASE(a_stream_that_never_brings_a_keyframe_exits_3_within_the_timeout) {
  const RunResult r = run_probe({"--timeout", "2", "--json", CameraFixture::camera().url("no-keyframe")}, 10s);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.seconds < 3.0);
  BOOST_TEST(r.err.find("no keyframe within 2 s") != std::string::npos, r.err);
  const json::object res = first_result(json::parse(r.out).as_object());
  BOOST_TEST(res.at("status").as_string() == "timeout");
  // The session says what it is, and the slices before any keyframe give the size.
  BOOST_TEST(res.at("video").as_object().at("codec").as_string() == "h264");
  BOOST_TEST(res.at("video").as_object().at("width").to_number<int>() == 1280);
  BOOST_TEST(res.at("video").as_object().at("height").to_number<int>() == 720);
}

BOOST_AUTO_TEST_CASE(several_urls_probe_concurrently_and_exit_with_the_worst) {
  Camera& cam = CameraFixture::camera();
  const std::string refused = "rtsp://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  const std::vector<std::string> urls{cam.url("h264"), cam.url("h265"), cam.url("auth"), refused, cam.url("mjpeg")};
  std::vector<std::string> args{"-j", "5"};
  args.insert(args.end(), urls.begin(), urls.end());
  const auto doc = probe_json(args, 4);  // auth (4) is worse than unreachable (3)
  const auto& results = doc.at("results").as_array();
  BOOST_REQUIRE(results.size() == urls.size());
  const std::vector<std::string> want{"ok", "ok", "auth", "unreachable", "ok"};
  for (size_t i = 0; i < urls.size(); ++i) {
    BOOST_TEST(results[i].at("url").as_string() == urls[i]);
    BOOST_TEST(results[i].at("status").as_string() == want[i]);
  }
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_with_one_line) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"rtsp://"}, {"ftp://cam/x"}, {"rtsp:///stream"}, {"--no-such-option", "rtsp://cam/x"}, {}}) {
    const RunResult r = run_probe(args);
    BOOST_TEST_INFO("args: " << (args.empty() ? "(none)" : args[0]));
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(line_count(r.err) == 1);
    BOOST_TEST(r.err.rfind("cctv-probe: error: ", 0) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(lavfi_source_works_without_network) {
  // In a network namespace of its own (only a down loopback) when unshare works here.
  std::vector<std::string> args{"--json", "lavfi:testsrc2=size=640x480:rate=25"};
  RunResult r = run_tool({"unshare", "--net", (bin_dir() / "cctv-probe").string(), args[0], args[1]}, 20s);
  if (r.exit_code != 0 && r.err.find("unshare") != std::string::npos) r = run_probe(args);
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  const auto res = first_result(json::parse(r.out).as_object());
  BOOST_TEST(res.at("video").at("width").as_int64() == 640);
  BOOST_TEST(res.at("transport").as_string() == "lavfi");
}

BOOST_AUTO_TEST_CASE(text_report_is_the_default) {
  const RunResult r = run_probe({CameraFixture::camera().url("h265")});
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_TEST(r.out.find("status     ok") != std::string::npos);
  BOOST_TEST(r.out.find("hevc") != std::string::npos);
  BOOST_TEST(r.out.find("1280x720") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
