// SPDX-License-Identifier: MIT
// Tests for opening sources without a network, and for error classification.
#include "cctv/source.hpp"

#include <boost/test/unit_test.hpp>

#include "cctv/decoder.hpp"

using namespace cctv;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(source)

BOOST_AUTO_TEST_CASE(opens_lavfi_graph_and_decodes_a_frame) {
  auto src = Source::open("lavfi:testsrc2=size=320x240:rate=25", {});
  BOOST_REQUIRE_MESSAGE(src, (src ? "" : src.error().what()));
  BOOST_REQUIRE(src->video() != nullptr);
  BOOST_TEST(src->transport_name() == "lavfi");
  auto dec = Decoder::open(*src->video());
  BOOST_REQUIRE(dec);
  auto pkt = av::make_packet();
  auto frame = av::make_frame();
  bool got = false;
  for (int i = 0; i < 10 && !got; ++i) {
    BOOST_REQUIRE(src->read(pkt.get()).value());
    BOOST_REQUIRE(dec->send(pkt.get()));
    got = dec->receive(frame.get()).value();
  }
  BOOST_REQUIRE(got);
  BOOST_TEST(frame->width == 320);
  BOOST_TEST(frame->height == 240);
}

BOOST_AUTO_TEST_CASE(missing_file_is_not_found) {
  auto src = Source::open("/nonexistent/cam.mp4", {});
  BOOST_REQUIRE(!src);
  BOOST_TEST(to_int(src.error().code) == 5);
}

BOOST_AUTO_TEST_CASE(bad_url_is_a_usage_error) {
  auto src = Source::open("rtsp:///nohost", {});
  BOOST_REQUIRE(!src);
  BOOST_TEST(to_int(src.error().code) == 2);
}

BOOST_AUTO_TEST_CASE(bad_lavfi_graph_fails_with_one_line) {
  auto src = Source::open("lavfi:nosuchfilter", {});
  BOOST_REQUIRE(!src);
  BOOST_TEST(src.error().what().find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(classifies_ffmpeg_errors_into_exit_codes) {
  const std::string u = "rtsp://a:***@cam/x";
  struct Case { int averror; int code; };
  for (const Case c : {Case{AVERROR_HTTP_UNAUTHORIZED, 4}, Case{AVERROR_HTTP_FORBIDDEN, 4},
                       Case{AVERROR_HTTP_NOT_FOUND, 5}, Case{AVERROR(ECONNREFUSED), 3},
                       Case{AVERROR(ETIMEDOUT), 3}, Case{AVERROR(EHOSTUNREACH), 3},
                       Case{AVERROR_PROTOCOL_NOT_FOUND, 6}, Case{AVERROR(EINVAL), 1}}) {
    BOOST_TEST_INFO("averror " << c.averror);
    BOOST_TEST(to_int(classify_av_error(c.averror, u, false, 10s).code) == c.code);
  }
}

BOOST_AUTO_TEST_CASE(a_deadline_beats_the_misleading_ffmpeg_error) {
  // FFmpeg reports an interrupted RTSP handshake as "Invalid data found".
  const Error e = classify_av_error(AVERROR_INVALIDDATA, "rtsp://cam/x", true, 3s);
  BOOST_TEST(to_int(e.code) == 3);
  BOOST_TEST(e.timeout);
  BOOST_TEST(e.message.find("within 3 s") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
