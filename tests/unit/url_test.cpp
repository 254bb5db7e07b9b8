// SPDX-License-Identifier: MIT
// Tests for source URL validation, credential injection and redaction.
#include "cctv/url.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv;

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(parses_rtsp_url_with_credentials_port_and_query) {
  auto u = parse_source_url("rtsp://admin:p%40ss@10.0.0.5:8554/Streaming/Channels/101?transportmode=unicast");
  BOOST_REQUIRE(u);
  BOOST_TEST(static_cast<int>(u->kind) == static_cast<int>(SourceKind::kRtsp));
  BOOST_TEST(u->user == "admin");
  BOOST_TEST(u->password == "p@ss");
  BOOST_TEST(u->host == "10.0.0.5");
  BOOST_TEST(u->port == 8554);
  BOOST_TEST(u->path == "/Streaming/Channels/101?transportmode=unicast");
}

BOOST_AUTO_TEST_CASE(scheme_is_case_insensitive) {
  auto u = parse_source_url("RTSP://cam/x");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->scheme == "rtsp");
}

BOOST_AUTO_TEST_CASE(lavfi_and_plain_paths_are_recognised) {
  auto l = parse_source_url("lavfi:testsrc2=size=320x240:rate=25");
  BOOST_REQUIRE(l);
  BOOST_TEST(l->path == "testsrc2=size=320x240:rate=25");
  auto f = parse_source_url("/var/lib/cctv/cam.mp4");
  BOOST_REQUIRE(f);
  BOOST_TEST(static_cast<int>(f->kind) == static_cast<int>(SourceKind::kFile));
  auto weird = parse_source_url("clip:01.mp4");  // a file name with a colon, not a scheme
  BOOST_REQUIRE(weird);
  BOOST_TEST(weird->path == "clip:01.mp4");
  for (const char* in : {"-", "pipe:0"}) {
    auto s = parse_source_url(in);
    BOOST_REQUIRE(s);
    BOOST_TEST(static_cast<int>(s->kind) == static_cast<int>(SourceKind::kStdin));
    BOOST_TEST(!is_network(s->kind));
  }
}

BOOST_AUTO_TEST_CASE(rejects_unknown_scheme_missing_host_bad_port_and_empty_input) {
  for (const char* bad : {"ftp://cam/x", "rtsp:///stream", "rtsp://", "rtsp://cam:99999/x", "rtsp://cam:abc/x", "",
                          "lavfi:", "http://[::1/x"}) {
    auto u = parse_source_url(bad);
    BOOST_TEST_INFO("input: " << bad);
    BOOST_REQUIRE(!u);
    BOOST_TEST(to_int(u.error().code) == 2);
  }
  BOOST_TEST(parse_source_url("ftp://cam/x").error().message.find("unknown scheme 'ftp'") != std::string::npos);
  BOOST_TEST(parse_source_url("rtsp:///s").error().message.find("missing host") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(redacts_password_in_rtsp_url) {
  BOOST_TEST(redact("rtsp://admin:secret@10.0.0.5/stream1") == "rtsp://admin:***@10.0.0.5/stream1");
}

BOOST_AUTO_TEST_CASE(redacts_every_url_inside_a_message_and_keeps_the_rest) {
  BOOST_TEST(redact("open 'rtsp://a:b@h/x' failed; http://u:p%2F@cam:80/m.jpg too") ==
             "open 'rtsp://a:***@h/x' failed; http://u:***@cam:80/m.jpg too");
  BOOST_TEST(redact("rtsp://admin@cam/x") == "rtsp://admin@cam/x");
  BOOST_TEST(redact("no url here: a:b@c") == "no url here: a:b@c");
  BOOST_TEST(redact("rtsp://u:p@ss@cam/x") == "rtsp://u:***@cam/x");
}

BOOST_AUTO_TEST_CASE(injects_percent_encoded_credentials) {
  auto u = parse_source_url("rtsp://old:pw@cam:554/s");
  BOOST_REQUIRE(u);
  BOOST_TEST(url_with_credentials(*u, "admin", "p@ss:w/rd") == "rtsp://admin:p%40ss:w%2Frd@cam:554/s");
  BOOST_TEST(url_with_credentials(*u, "", "") == "rtsp://cam:554/s");
}

BOOST_AUTO_TEST_CASE(redacts_passwords_that_break_the_url) {
  // A raw '/', '?', '#' or space in the password ends the authority early:
  // what follows up to the last '@' is hidden too.
  for (const char* pw : {"se/cr3t", "se?cr3t", "se#cr3t", "se cr3t", "s@/cr3t", "s/@cr3t", "se/c/r3t"}) {
    const std::string url = std::string("rtsp://admin:") + pw + "@10.0.0.5/x";
    BOOST_TEST_INFO(url);
    const std::string message = "cannot open '" + url + "': malformed";
    const std::string safe = redact(message);
    BOOST_TEST(safe.find("r3t") == std::string::npos);
    BOOST_TEST(safe.find("10.0.0.5/x") != std::string::npos);
    BOOST_TEST(safe.find("': malformed") != std::string::npos);
    // The same URL alone, unquoted, and the error parse_source_url gives.
    BOOST_TEST(redact(url).find("r3t") == std::string::npos);
    auto parsed = parse_source_url(url);
    if (!parsed) {
      BOOST_TEST(to_int(parsed.error().code) == 2);
      BOOST_TEST(parsed.error().what().find("r3t") == std::string::npos);
      BOOST_TEST(parsed.error().what().find("percent-encoded") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(upper_case_schemes_reach_ffmpeg_in_lower_case) {
  auto u = parse_source_url("RTSP://cam:554/Path");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->original == "rtsp://cam:554/Path");
}

BOOST_AUTO_TEST_SUITE_END()
