// SPDX-License-Identifier: MIT
// Tests for cctv-mjpeg-serve's MSE side: viewer queues, keyframe skips, the GOP cache, origins.
#include "media_hub.hpp"

#include <boost/test/unit_test.hpp>

#include "auth.hpp"

using namespace cctv::mjpeg;
using namespace std::chrono_literals;

namespace {

MediaFragmentPtr fragment(bool key, std::size_t size = 100) {
  auto f = std::make_shared<MediaFragment>();
  f->bytes.assign(size, key ? 1 : 0);
  f->key = key;
  return f;
}

MediaInitPtr init(std::uint64_t generation) {
  auto i = std::make_shared<MediaInit>();
  i->bytes = {1, 2, 3};
  i->mime = "video/mp4; codecs=\"avc1.4d401f\"";
  i->generation = generation;
  return i;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mjpeg_media)

BOOST_AUTO_TEST_CASE(a_queue_starts_at_a_keyframe) {
  MediaQueue q({});
  const auto now = MediaClock::now();
  q.put(fragment(false), now);
  BOOST_TEST(q.take().fragments.empty());
  q.put(fragment(true), now);
  q.put(fragment(false), now);
  const auto b = q.take();
  BOOST_REQUIRE_EQUAL(b.fragments.size(), 2u);
  BOOST_TEST(b.fragments[0]->key);
}

BOOST_AUTO_TEST_CASE(a_full_queue_skips_to_the_next_keyframe) {
  MediaQueue q({.max_bytes = 1000, .max_wait = 10s});
  const auto now = MediaClock::now();
  q.put(fragment(true, 400), now);
  q.put(fragment(false, 400), now);
  BOOST_TEST(q.put(fragment(false, 400), now));  // 1200 bytes would wait: skip
  BOOST_TEST(!q.put(fragment(false, 400), now));  // dropped, no second skip
  BOOST_TEST(q.take().fragments.empty());
  q.put(fragment(true, 400), now);
  const auto b = q.take();
  BOOST_REQUIRE_EQUAL(b.fragments.size(), 1u);
  BOOST_TEST(b.fragments[0]->key);
  BOOST_TEST(q.skips() == 1u);
}

BOOST_AUTO_TEST_CASE(a_queue_waiting_too_long_skips) {
  MediaQueue q({.max_bytes = 1u << 20, .max_wait = 2000ms});
  const auto t0 = MediaClock::now();
  q.put(fragment(true), t0);
  q.put(fragment(false), t0 + 1s);
  BOOST_TEST(!q.skips());
  BOOST_TEST(q.put(fragment(false), t0 + 2500ms));
  BOOST_TEST(q.skips() == 1u);
  // Taken in time, nothing is skipped.
  q.put(fragment(true), t0 + 3s);
  BOOST_TEST(q.take().fragments.size() == 1u);
  q.put(fragment(false), t0 + 6s);
  BOOST_TEST(q.skips() == 1u);
}

BOOST_AUTO_TEST_CASE(a_new_viewer_gets_the_init_and_the_current_gop_at_once) {
  MediaHub hub;
  hub.publish_init(MediaHub::kVideoOnly, init(1));
  hub.publish(MediaHub::kVideoOnly, fragment(false));  // before any keyframe: not cached
  hub.publish(MediaHub::kVideoOnly, fragment(true));
  hub.publish(MediaHub::kVideoOnly, fragment(false));
  hub.publish(MediaHub::kVideoOnly, fragment(true));  // a new GOP replaces the cache
  hub.publish(MediaHub::kVideoOnly, fragment(false));
  hub.publish(MediaHub::kVideoOnly, fragment(false));
  auto q = hub.subscribe(false);
  auto b = q->take();
  BOOST_REQUIRE(b.init);
  BOOST_TEST(b.init->generation == 1u);
  BOOST_REQUIRE_EQUAL(b.fragments.size(), 3u);
  BOOST_TEST(b.fragments[0]->key);
  BOOST_TEST(hub.stats().gop_cache_bytes == 300u);
  BOOST_TEST(hub.viewers() == 1);
  hub.unsubscribe(q);
  BOOST_TEST(hub.viewers() == 0);
}

BOOST_AUTO_TEST_CASE(viewers_get_the_variant_they_asked_for) {
  MediaHub hub;
  auto with = hub.subscribe(true);
  auto without = hub.subscribe(false);
  hub.set_audio(true);
  hub.publish_init(MediaHub::kVideoOnly, init(1));
  hub.publish_init(MediaHub::kWithAudio, init(2));
  BOOST_TEST(with->take().init->generation == 2u);
  BOOST_TEST(without->take().init->generation == 1u);
  // A camera without audio: everyone gets the video-only variant.
  hub.set_audio(false);
  hub.publish_init(MediaHub::kVideoOnly, init(3));
  BOOST_TEST(with->take().init->generation == 3u);
  BOOST_TEST(without->take().init->generation == 3u);
}

BOOST_AUTO_TEST_CASE(an_unsupported_camera_ends_its_viewers) {
  MediaHub hub;
  auto q = hub.subscribe(false);
  hub.set_supported(false, "mjpeg video cannot go through MSE");
  BOOST_TEST(q->take().end == "mjpeg video cannot go through MSE");
  BOOST_TEST(hub.subscribe(true)->take().end == "mjpeg video cannot go through MSE");
  hub.set_supported(true);
  BOOST_TEST(hub.unsupported().empty());
}

BOOST_AUTO_TEST_CASE(origins_pass_for_the_server_itself_and_the_allowed_ones) {
  const std::vector<std::string> none;
  BOOST_TEST(origin_allowed("", "127.0.0.1:8080", false, none));  // not a browser
  BOOST_TEST(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", false, none));
  BOOST_TEST(origin_allowed("HTTP://Cam.LAN", "cam.lan:80", false, none));
  BOOST_TEST(origin_allowed("https://cam.lan", "cam.lan", true, none));
  BOOST_TEST(!origin_allowed("http://cam.lan", "cam.lan", true, none));  // another scheme
  BOOST_TEST(!origin_allowed("http://evil.example", "127.0.0.1:8080", false, none));
  BOOST_TEST(!origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080", false, none));
  BOOST_TEST(!origin_allowed("null", "127.0.0.1:8080", false, none));
  const std::vector<std::string> app{"https://app.example.com"};
  BOOST_TEST(origin_allowed("https://app.example.com", "127.0.0.1:8080", false, app));
  BOOST_TEST(origin_allowed("https://app.example.com:443", "127.0.0.1:8080", false, app));
  BOOST_TEST(!origin_allowed("http://app.example.com", "127.0.0.1:8080", false, app));
  BOOST_TEST(valid_origin("https://app.example.com:8443"));
  BOOST_TEST(!valid_origin("https://app.example.com/path"));
  BOOST_TEST(!valid_origin("ftp://app.example.com"));
  BOOST_TEST(!valid_origin("app.example.com"));
}

BOOST_AUTO_TEST_SUITE_END()
