// SPDX-License-Identifier: MIT
// Tests for cctv-probe's logic on a lavfi source and for its JSON and text reports.
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "probe.hpp"
#include "report.hpp"

using namespace cctv;
using namespace cctv::probe;

BOOST_AUTO_TEST_SUITE(probe_report)

BOOST_AUTO_TEST_CASE(probes_lavfi_source_to_first_frame) {
  Options o;
  const ProbeResult r = probe_one("lavfi:testsrc2=size=320x240:rate=25", o);
  BOOST_TEST(r.status == "ok");
  BOOST_REQUIRE(r.video);
  BOOST_TEST(r.video->width == 320);
  BOOST_TEST(r.video->height == 240);
  BOOST_TEST(r.keyframe_ms.has_value());
  BOOST_TEST(!r.audio.has_value());
}

BOOST_AUTO_TEST_CASE(sample_measures_fps_from_timestamps) {
  Options o;
  o.mode = Mode::kSample;
  o.sample_seconds = 1;
  const ProbeResult r = probe_one("lavfi:testsrc2=size=160x120:rate=30", o);
  BOOST_REQUIRE(r.measured);
  BOOST_TEST(std::abs(r.measured->fps - 30.0) < 0.5);
  BOOST_TEST(r.measured->seconds >= 1.0);
}

BOOST_AUTO_TEST_CASE(json_report_has_documented_fields_and_nulls) {
  ProbeResult ok;
  ok.url = "rtsp://u:***@cam/x";
  ok.status = "ok";
  ok.transport = "tcp";
  ok.connect_ms = 12.34;
  ok.video = VideoInfo{"h264", "High", "3.1", 1280, 720, "yuv420p", 25};
  ProbeResult bad;
  bad.url = "rtsp://cam/y";
  bad.code = ExitCode::kAuth;
  bad.status = "auth";
  bad.error = "rtsp://cam/y: authentication failed";
  const auto doc = boost::json::parse(json_report({ok, bad})).as_object();
  BOOST_TEST(doc.at("tool").as_string() == "cctv-probe");
  const auto& results = doc.at("results").as_array();
  BOOST_REQUIRE(results.size() == 2);
  const auto& a = results[0].as_object();
  BOOST_TEST(a.at("connect_ms").as_int64() == 12);
  BOOST_TEST(a.at("keyframe_ms").is_null());
  BOOST_TEST(a.at("video").at("level").as_string() == "3.1");
  BOOST_TEST(a.at("video").at("width").as_int64() == 1280);
  BOOST_TEST(a.at("audio").is_null());
  BOOST_TEST(a.at("error").is_null());
  const auto& b = results[1].as_object();
  BOOST_TEST(b.at("exit_code").as_int64() == 4);
  BOOST_TEST(b.at("video").is_null());
}

BOOST_AUTO_TEST_CASE(sample_of_a_built_in_camera_lasts_its_seconds_without_jumps) {
  Options o;
  o.mode = Mode::kSample;
  o.sample_seconds = 2;
  const ProbeResult r = probe_one("lavfi:testsrc2=size=160x120:rate=25", o);
  BOOST_REQUIRE(r.measured);
  BOOST_TEST(std::abs(r.measured->seconds - 2.0) < 0.1);
  // 2 s of a 25 fps graph that Source paces like a camera.
  BOOST_TEST(r.measured->frames >= 50);
  BOOST_TEST(r.measured->frames <= 52);
  BOOST_TEST(r.measured->jumps.count == 0);
}

ProbeResult with_jumps() {
  ProbeResult r;
  r.url = "rtsp://cam/z";
  r.status = "ok";
  Measured m;
  m.seconds = 25.04;
  m.frames = 626;
  m.keyframes = 13;
  m.fps = 25;
  m.gop_frames = 50;
  m.gop_seconds = 2;
  m.bitrate_kbps = 2000.4;
  m.jumps = {.count = 2, .forward = 1, .back = 1, .largest_seconds = 30.0001};
  r.measured = m;
  return r;
}

BOOST_AUTO_TEST_CASE(json_report_has_timestamp_jumps_in_measured) {
  const auto doc = boost::json::parse(json_report({with_jumps()})).as_object();
  const auto& m = doc.at("results").at(0).at("measured").as_object();
  BOOST_TEST(m.at("fps").to_number<double>() == 25.0);
  BOOST_TEST(m.at("gop_frames").to_number<double>() == 50.0);
  BOOST_TEST(m.at("gop_seconds").to_number<double>() == 2.0);
  BOOST_TEST(m.at("bitrate_kbps").as_int64() == 2000);
  const auto& j = m.at("timestamp_jumps").as_object();
  BOOST_TEST(j.at("count").as_int64() == 2);
  BOOST_TEST(j.at("forward").as_int64() == 1);
  BOOST_TEST(j.at("back").as_int64() == 1);
  BOOST_TEST(j.at("largest_seconds").to_number<double>() == 30.0);
  ProbeResult back = with_jumps();
  back.measured->jumps = {.count = 1, .forward = 0, .back = 1, .largest_seconds = -5};
  const auto doc2 = boost::json::parse(json_report({back})).as_object();
  // Absolute in JSON: the direction is in "forward" and "back".
  BOOST_TEST(doc2.at("results").at(0).at("measured").at("timestamp_jumps").at("largest_seconds").to_number<double>() ==
             5.0);
}

BOOST_AUTO_TEST_CASE(text_report_has_a_jumps_line_under_measured) {
  ProbeResult r = with_jumps();
  BOOST_TEST(text_report({r}).find("  measured   25.00 fps, GOP 50.0 frames (2.00 s), 2000 kbit/s over 25.0 s\n"
                                   "  jumps      2 timestamp jumps (1 back, 1 forward), largest +30.0 s\n") !=
             std::string::npos);
  r.measured->jumps = {.count = 1, .forward = 0, .back = 1, .largest_seconds = -5};
  BOOST_TEST(text_report({r}).find("1 timestamp jump (1 back, 0 forward), largest -5.0 s\n") != std::string::npos);
  r.measured->jumps = {};
  BOOST_TEST(text_report({r}).find("  jumps      no timestamp jumps\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_report_names_status_and_error) {
  ProbeResult bad;
  bad.url = "rtsp://cam/y";
  bad.status = "timeout";
  bad.error = "no answer";
  const std::string t = text_report({bad});
  BOOST_TEST(t.find("rtsp://cam/y\n") == 0u);
  BOOST_TEST(t.find("timeout (no answer)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
