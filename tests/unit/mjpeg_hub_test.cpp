// SPDX-License-Identifier: MIT
// Tests for cctv-mjpeg-serve's pure parts: the newest-wins slot, the fps cap, the hub, options and pages.
#include "hub.hpp"

#include <regex>
#include <sstream>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "mjpeg_options.hpp"
#include "pages.hpp"

using namespace cctv;
using namespace cctv::mjpeg;

namespace {

JpegPtr jpeg(std::uint64_t seq) {
  auto j = std::make_shared<Jpeg>();
  j->seq = seq;
  j->bytes = {0xFF, 0xD8, 0xFF, 0xD9};
  return j;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mjpeg_hub)

BOOST_AUTO_TEST_CASE(slot_keeps_only_the_newest_frame_and_counts_the_rest_dropped) {
  ViewerSlot slot;
  BOOST_TEST(!slot.put(jpeg(1)));
  BOOST_TEST(slot.put(jpeg(2)));
  BOOST_TEST(slot.put(jpeg(3)));
  BOOST_TEST(slot.take()->seq == 3u);
  BOOST_TEST(slot.take() == nullptr);
  BOOST_TEST(slot.dropped() == 2u);
}

BOOST_AUTO_TEST_CASE(slot_wakes_its_viewer_on_each_put_until_the_wake_is_cleared) {
  ViewerSlot slot;
  int wakes = 0;
  slot.set_wake([&] { ++wakes; });
  slot.put(jpeg(1));
  slot.put(jpeg(2));
  slot.set_wake(nullptr);
  slot.put(jpeg(3));
  BOOST_TEST(wakes == 2);
}

BOOST_AUTO_TEST_CASE(hub_hands_each_frame_to_every_viewer_and_counts_one_publish) {
  Hub hub("cam", "rtsp://x/");
  auto a = std::make_shared<ViewerSlot>();
  auto b = std::make_shared<ViewerSlot>();
  hub.subscribe(a, true);
  hub.subscribe(b, false);
  BOOST_TEST(hub.demand() == 2);
  hub.publish({1, 2, 3}, 0.001);
  hub.publish({4, 5, 6}, 0.001);
  BOOST_TEST(a->take()->seq == 2u);
  BOOST_TEST(b->take()->seq == 2u);
  const auto s = hub.stats(SteadyClock::now());
  BOOST_TEST(s.viewers == 1);  // the snapshot waiter is demand, not a viewer
  BOOST_TEST(s.frames_published == 2u);
  BOOST_TEST(s.dropped_frames == 2u);
  hub.unsubscribe(a, true);
  hub.unsubscribe(b, false);
  BOOST_TEST(hub.demand() == 0);
  BOOST_TEST(hub.stats(SteadyClock::now()).viewers == 0);
}

BOOST_AUTO_TEST_CASE(new_viewer_gets_a_fresh_frame_at_once_but_not_a_stale_one) {
  Hub hub("cam", "x");
  hub.publish({1}, 0);
  auto a = std::make_shared<ViewerSlot>();
  hub.subscribe(a, true, std::chrono::milliseconds(1000));
  BOOST_TEST(a->take() != nullptr);
  auto b = std::make_shared<ViewerSlot>();
  hub.subscribe(b, true, std::chrono::milliseconds(0));
  BOOST_TEST(b->take() == nullptr);
}

BOOST_AUTO_TEST_CASE(camera_spec_splits_name_and_url_at_the_first_equals_sign) {
  auto c = parse_camera_spec("door-1=rtsp://u:p@10.0.0.5/s?a=b");
  BOOST_REQUIRE(c);
  BOOST_TEST(c->name == "door-1");
  BOOST_TEST(c->url == "rtsp://u:p@10.0.0.5/s?a=b");
}

BOOST_AUTO_TEST_CASE(camera_spec_rejects_bad_names_without_showing_the_password) {
  for (const char* bad : {"Door=rtsp://h/", "=rtsp://h/", "a b=rtsp://h/", "../x=rtsp://h/", "cam=", "rtsp://u:pw@h/"}) {
    auto c = parse_camera_spec(bad);
    BOOST_TEST_INFO(bad);
    BOOST_REQUIRE(!c);
    BOOST_TEST(to_int(c.error().code) == 2);
    BOOST_TEST(c.error().message.find("pw") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(cameras_need_unique_names_and_at_least_one_source) {
  Options o;
  BOOST_TEST(!collect_cameras(o));
  o.url = "lavfi:testsrc2";
  o.camera_args = {"cam=lavfi:testsrc"};
  BOOST_TEST(!collect_cameras(o));
  o.camera_args = {"yard=lavfi:testsrc"};
  o.input_arg = "-";
  auto cams = collect_cameras(o);
  BOOST_REQUIRE(cams);
  BOOST_REQUIRE_EQUAL(cams->size(), 3u);
  BOOST_TEST((*cams)[0].name == "cam");
  BOOST_TEST((*cams)[1].name == "yard");
  BOOST_TEST((*cams)[2].name == "stdin");
  BOOST_TEST((*cams)[2].is_stdin());
  o.camera_args = {"x=ftp://h/"};
  BOOST_TEST(!collect_cameras(o));
}

BOOST_AUTO_TEST_CASE(listen_address_takes_ipv4_bracketed_ipv6_and_port_0) {
  auto a = parse_listen("127.0.0.1:8080");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->host == "127.0.0.1");
  BOOST_TEST(a->port == 8080);
  auto b = parse_listen("[::1]:0");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->host == "::1");
  BOOST_TEST(b->port == 0);
  for (const char* bad : {"8080", ":80", "::1:80", "host:", "h:65536", "h:8x", "[::1:80"}) {
    BOOST_TEST_INFO(bad);
    BOOST_TEST(!parse_listen(bad));
  }
}

BOOST_AUTO_TEST_CASE(pages_never_show_a_camera_password) {
  CameraView v{"cam", "rtsp://admin:***@10.0.0.5/s", {}};
  v.stats.last_error = "rtsp://admin:hunter2@10.0.0.5/s: connection lost";
  const std::vector<CameraView> views{v};
  for (const std::string& page : {index_html(views), healthz_json(views), metrics_text(views)}) {
    BOOST_TEST(page.find("hunter2") == std::string::npos);
  }
  BOOST_TEST(index_html(views).find("10.0.0.5") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(healthz_has_the_documented_fields) {
  CameraView v{"cam", "x", {}};
  v.stats.connected = true;
  v.stats.fps = 25;
  v.stats.last_frame_age_s = 0.04;
  v.stats.viewers = 3;
  const auto root = boost::json::parse(healthz_json({v})).as_object();
  BOOST_TEST(root.at("status").as_string() == "ok");
  const auto& cam = root.at("cameras").as_array().at(0).as_object();
  BOOST_TEST(cam.at("connected").as_bool());
  BOOST_TEST(cam.at("fps").to_number<double>() == 25.0);
  BOOST_TEST(cam.at("viewers").as_int64() == 3);
  BOOST_TEST(cam.at("last_frame_age_s").to_number<double>() == 0.04);
}

BOOST_AUTO_TEST_CASE(metrics_follow_the_prometheus_line_grammar) {
  CameraView v{"cam-1", "x", {}};
  v.stats.encode_seconds = 0.125;
  const std::regex comment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
  const std::regex sample(R"([a-zA-Z_:][a-zA-Z0-9_:]*\{camera="[^"\\]*"\} -?[0-9.e+-]+)");
  std::istringstream in(metrics_text({v, CameraView{"b", "y", {}}}));
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    BOOST_TEST_INFO(line);
    BOOST_TEST((std::regex_match(line, comment) || std::regex_match(line, sample)));
    samples += line[0] != '#';
  }
  BOOST_TEST(samples == 38);  // 19 families, 2 cameras
}

BOOST_AUTO_TEST_CASE(errors_shown_by_healthz_never_carry_a_camera_password) {
  Hub hub("cam", "rtsp://admin:***@cam/x");
  hub.set_error("rtsp://admin:secret@cam/x: the stream ended");
  BOOST_TEST(hub.stats(SteadyClock::now()).last_error == "rtsp://admin:***@cam/x: the stream ended");
  hub.set_failed("rtsp://admin:secret@cam/x: gave up");
  BOOST_TEST(hub.stats(SteadyClock::now()).last_error.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
