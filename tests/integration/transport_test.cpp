// SPDX-License-Identifier: MIT
// RTSP transports against a camera that refuses TCP: --transport auto, tcp and udp.
//
// UDP binds ports: ctest runs this binary under tests/support/netns-run, in a
// network namespace of its own where only loopback exists.
#define BOOST_TEST_MODULE transport_integration
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kRefusal = "the camera refuses RTSP over TCP (461 Unsupported Transport)";

Camera& camera() {
  static Camera cam;
  return cam;
}

json::object probe_result(const RunResult& r) {
  BOOST_TEST_INFO("stderr: " << r.err);
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  return json::parse(r.out).as_object().at("results").as_array().at(0).as_object();
}

}  // namespace

BOOST_AUTO_TEST_CASE(auto_falls_back_to_udp_with_one_notice) {
  const json::object r = probe_result(run_tool({"cctv-probe", "--json", camera().url("udp-only")}, 60s));
  BOOST_TEST(r.at("status").as_string() == "ok");
  BOOST_TEST(r.at("transport").as_string() == "udp");
  BOOST_TEST(r.at("video").at("width").as_int64() == 1280);
  const RunResult text = run_tool({"cctv-probe", camera().url("udp-only")}, 60s);
  BOOST_REQUIRE_MESSAGE(text.exit_code == 0, text.err);
  BOOST_TEST(count(text.err, kRefusal) == 1u, text.err);
  BOOST_TEST(count(text.err, "notice: ") == 1u, text.err);
  BOOST_TEST(text.err.find("firewalls and NAT") != std::string::npos, text.err);
}

BOOST_AUTO_TEST_CASE(a_camera_that_takes_tcp_is_not_asked_for_udp) {
  const RunResult run = run_tool({"cctv-probe", "--json", camera().url("h264")}, 60s);
  const json::object r = probe_result(run);
  BOOST_TEST(r.at("transport").as_string() == "tcp");
  BOOST_TEST(run.err == "");
}

BOOST_AUTO_TEST_CASE(transport_tcp_never_falls_back_and_names_the_refusal_with_exit_6) {
  const RunResult r = run_tool({"cctv-probe", "--transport", "tcp", camera().url("udp-only")}, 60s);
  BOOST_TEST(r.exit_code == 6, r.err);
  BOOST_TEST(count(r.err, "\n") == 1u, r.err);  // one line
  BOOST_TEST(r.err.find(kRefusal) != std::string::npos, r.err);
  BOOST_TEST(r.err.find("try --transport udp") != std::string::npos, r.err);
  const RunResult grab = run_tool({"cctv-grab", "--transport", "tcp", "-o", "-", camera().url("udp-only")}, 60s);
  BOOST_TEST(grab.exit_code == 6, grab.err);
  BOOST_TEST(grab.out.empty());
}

BOOST_AUTO_TEST_CASE(transport_udp_is_used_as_asked) {
  const RunResult run = run_tool({"cctv-probe", "--transport", "udp", "--json", camera().url("h264")}, 60s);
  const json::object r = probe_result(run);
  BOOST_TEST(r.at("transport").as_string() == "udp");
  BOOST_TEST(count(run.err, kRefusal) == 0u, run.err);
  const RunResult grab = run_tool({"cctv-grab", "-o", "-", camera().url("udp-only")}, 60s);
  BOOST_TEST(grab.exit_code == 0, grab.err);
  BOOST_TEST(is_jpeg(grab.out));
}

// A recorder that fell back to UDP reconnects over UDP after an outage: one
// notice for the whole run, and the recording goes on.
BOOST_AUTO_TEST_CASE(a_recorder_reconnects_over_udp_without_asking_tcp_again) {
  Camera cam;  // its own: it is stopped and started
  TempDir dir;
  Process rec({"cctv-record", "--stall-timeout", "4", "--segment-time", "60", "-o",
               (dir.path() / "%H%M%S.mp4").string(), cam.url("udp-only")});
  const auto recording = [&] {
    for (const auto& e : fs::directory_iterator(dir.path())) {
      if (fs::file_size(e.path()) > 100'000) return true;
    }
    return false;
  };
  BOOST_REQUIRE_MESSAGE(poll_until(60s, recording), rec.stderr_text());
  cam.stop();
  BOOST_REQUIRE_MESSAGE(poll_until(60s, [&] { return rec.stderr_text().find("retrying in") != std::string::npos; }),
                        rec.stderr_text());
  cam.start();
  BOOST_REQUIRE_MESSAGE(poll_until(90s, [&] { return rec.stderr_text().find(": back after ") != std::string::npos; }),
                        rec.stderr_text());
  rec.signal(SIGTERM);
  BOOST_TEST(rec.wait(30s).value_or(-1) == 0, rec.stderr_text());
  const std::string err = rec.stderr_text();
  BOOST_TEST(count(err, kRefusal) == 1u, err);
  const auto files = std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator());
  BOOST_TEST(files == 2, err);  // the segment before the outage and the one after
  for (const auto& e : fs::directory_iterator(dir.path())) {
    const RunResult check = run_tool({"ffmpeg", "-v", "error", "-i", e.path().string(), "-f", "null", "-"}, 60s);
    BOOST_TEST(check.exit_code == 0, e.path().string());
    BOOST_TEST(check.err == "", e.path().string());
  }
}
