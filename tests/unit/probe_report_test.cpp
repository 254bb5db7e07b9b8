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
