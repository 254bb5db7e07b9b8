// SPDX-License-Identifier: MIT
// Tests for cctv-mjpeg-serve's LL-HLS window: parts and segments cut from frames, blocking reload, the playlist.
#include "ll_hls.hpp"

#include <boost/test/unit_test.hpp>

#include "../support/ll_playlist.hpp"

using namespace cctv::mjpeg;
using cctv::test::LlPlaylist;
using cctv::test::ll_rule_violations;
using cctv::test::parse_ll_playlist;

namespace {

constexpr std::int64_t kFrame = kHlsTicks / 25;  // 25 fps

MediaInitPtr init(std::uint64_t generation) {
  auto i = std::make_shared<MediaInit>();
  i->bytes = {static_cast<std::uint8_t>(generation)};
  i->generation = generation;
  return i;
}

// A camera at 25 fps with a keyframe every `gop` frames; each frame's byte
// is its index, so that the bytes of a part tell which frames it holds.
struct Feed {
  explicit Feed(HlsWindow& w, int gop = 50) : window(w), gop(gop) {}
  void frames(int n, bool discontinuity = false) {
    for (int i = 0; i < n; ++i) {
      MediaFragment f;
      f.bytes = {static_cast<std::uint8_t>(count)};
      if (discontinuity && i == 0) phase = count;  // a new connection starts at a keyframe
      f.key = (count - phase) % gop == 0;
      f.discontinuity = discontinuity && i == 0;
      f.duration = kFrame;
      f.wall = std::chrono::system_clock::now();
      window.add(f);
      ++count;
    }
  }
  HlsWindow& window;
  int gop;
  int count = 0;
  int phase = 0;  // the frame of the first keyframe
};

LlPlaylist playlist(const HlsWindow& w, std::string_view query = "") {
  const auto p = parse_ll_playlist(w.playlist(query));
  BOOST_TEST(p.error.empty(), p.error);
  for (const auto& v : ll_rule_violations(p)) BOOST_ERROR(v);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mjpeg_hls)

BOOST_AUTO_TEST_CASE(parts_of_whole_frames_and_segments_at_the_keyframe_after_the_target) {
  HlsWindow w;  // 2 s segments, 0.333 s parts
  w.set_init(init(1));
  Feed feed(w);
  feed.frames(101);  // two GOPs and the next keyframe
  const auto p = playlist(w);
  BOOST_TEST(p.target == 2);
  BOOST_TEST(p.version >= 6);
  BOOST_REQUIRE_EQUAL(p.segments.size(), 2u);  // two complete; the third has no complete part yet
  for (int i = 0; i < 2; ++i) {
    const auto& s = p.segments[i];
    BOOST_TEST(s.msn == static_cast<std::uint64_t>(i));
    BOOST_TEST(*s.duration == 2.0);
    BOOST_TEST(s.uri == "seg" + std::to_string(i) + ".m4s");
    BOOST_TEST(s.map == "init.mp4?v=1");
    BOOST_REQUIRE_EQUAL(s.parts.size(), 7u);  // 6 x 8 frames + 2
    BOOST_TEST(s.parts[0].independent);
    BOOST_TEST(!s.parts[1].independent);
    BOOST_TEST(s.parts[0].duration == 0.32);
    BOOST_TEST(s.parts[6].duration == 0.08);
  }
  BOOST_TEST(p.hint == "part14.m4s");
  // A part's bytes are its frames, in order; a segment's are its parts'.
  bool pending = true;
  const auto part = w.part(8, pending);
  BOOST_REQUIRE(part);
  BOOST_TEST(!pending);
  BOOST_TEST(part->bytes == std::vector<std::uint8_t>({58, 59, 60, 61, 62, 63, 64, 65}), boost::test_tools::per_element());
  const auto seg = w.segment(1);
  BOOST_REQUIRE_EQUAL(seg.size(), 7u);
  BOOST_TEST(seg.front()->bytes.front() == 50);
  BOOST_TEST(seg.back()->bytes.back() == 99);
  BOOST_TEST(w.segment(2).empty());  // not complete
  BOOST_TEST(w.init(1)->bytes.front() == 1);
  BOOST_TEST(w.init(std::nullopt)->generation == 1u);
  BOOST_TEST(!w.init(2));
}

BOOST_AUTO_TEST_CASE(a_short_gop_makes_a_segment_of_several) {
  HlsWindow w;
  w.set_init(init(1));
  Feed feed(w, 15);  // 0.6 s GOP: the keyframe at 2.4 s ends the first segment
  feed.frames(61);
  const auto p = playlist(w);
  BOOST_REQUIRE_GE(p.segments.size(), 1u);
  BOOST_TEST(*p.segments[0].duration == 2.4);
}

BOOST_AUTO_TEST_CASE(blocking_reload_waits_for_the_part_and_refuses_what_is_too_far) {
  HlsWindow w;
  w.set_init(init(1));
  Feed feed(w);
  BOOST_TEST((w.ready({}) == HlsWindow::Ready::kWait));  // no complete segment yet
  feed.frames(51);                                        // segment 0 complete, segment 1 has no part
  BOOST_TEST((w.ready({}) == HlsWindow::Ready::kYes));
  BOOST_TEST((w.ready({0, std::nullopt}) == HlsWindow::Ready::kYes));
  BOOST_TEST((w.ready({1, 0}) == HlsWindow::Ready::kWait));
  BOOST_TEST((w.ready({1, std::nullopt}) == HlsWindow::Ready::kWait));
  BOOST_TEST((w.ready({2, 0}) == HlsWindow::Ready::kWait));   // the last segment + 2: may wait
  BOOST_TEST((w.ready({3, 0}) == HlsWindow::Ready::kTooFar));  // beyond: 400
  BOOST_TEST((w.ready({1, 8}) == HlsWindow::Ready::kWait));   // 9 parts (3 s) past the last at most
  BOOST_TEST((w.ready({1, 9}) == HlsWindow::Ready::kTooFar));
  int woken = 0;
  BOOST_TEST((w.ready({1, 0}, [&] { ++woken; }) == HlsWindow::Ready::kWait));
  feed.frames(6);
  BOOST_TEST(woken == 0);  // not before the part exists
  feed.frames(1);          // the eighth frame closes part 0 of segment 1
  BOOST_TEST(woken == 1);
  BOOST_TEST((w.ready({1, 0}) == HlsWindow::Ready::kYes));
  BOOST_TEST(parse_ll_playlist(w.playlist("")).segments.back().parts.size() == 1u);
  // A segment that ends before part P exists answers _HLS_part=P with the next segment.
  feed.frames(42);
  BOOST_TEST((w.ready({1, 6}) == HlsWindow::Ready::kWait));
  feed.frames(2);  // the keyframe ends the segment with its seventh part
  BOOST_TEST((w.ready({1, 6}) == HlsWindow::Ready::kYes));
  BOOST_TEST((w.ready({1, 7}) == HlsWindow::Ready::kYes));
  // The hinted part: pending until made, then served.
  const auto hint = *cctv::test::ll_part_number(parse_ll_playlist(w.playlist("")).hint);
  bool pending = false;
  int part_woken = 0;
  BOOST_TEST(!w.part(hint, pending, [&] { ++part_woken; }));
  BOOST_TEST(pending);
  feed.frames(8);
  BOOST_TEST(part_woken == 1);
  BOOST_TEST(w.part(hint, pending));
  BOOST_TEST(!w.part(hint + 5, pending));  // not the next one: 404, no wait
  BOOST_TEST(!pending);
}

BOOST_AUTO_TEST_CASE(a_new_connection_starts_a_discontinuity_and_numbers_go_on) {
  HlsConfig c;
  c.window = 3;
  HlsWindow w(c);
  w.set_init(init(1));
  Feed feed(w);
  feed.frames(80);            // segment 0, and 30 frames of segment 1
  feed.frames(60, true);      // the camera came back: segment 1 ends short, 2 starts anew
  auto p = playlist(w);
  BOOST_REQUIRE_GE(p.segments.size(), 3u);
  BOOST_TEST(*p.segments[1].duration == 1.2);
  BOOST_TEST(!p.segments[1].discontinuity);
  BOOST_TEST(p.segments[2].discontinuity);
  BOOST_TEST(p.discontinuity_sequence == 0u);
  feed.frames(200);  // the discontinuity leaves the window: counted in DISCONTINUITY-SEQUENCE
  p = playlist(w);
  BOOST_TEST(p.discontinuity_sequence == 1u);
  BOOST_TEST(p.media_sequence > 2u);
  BOOST_TEST(p.segments.size() == 4u);  // three complete and one being made
  BOOST_TEST(w.segment(0).empty());     // gone
  // A new init segment (new parameters): a new EXT-X-MAP, the old one kept while named.
  w.set_init(init(2));
  feed.phase = feed.count;  // starts at a keyframe
  feed.frames(51);
  p = playlist(w);
  BOOST_TEST(p.segments.back().map == "init.mp4?v=2");
  BOOST_TEST(p.segments.front().map == "init.mp4?v=1");
  BOOST_TEST(w.init(1));
  const auto before = p.media_sequence;
  w.clear();  // idle: everything goes, the numbers do not start again
  BOOST_TEST((w.ready({}) == HlsWindow::Ready::kWait));
  feed.phase = feed.count;
  feed.frames(51);
  p = playlist(w);
  BOOST_TEST(p.media_sequence > before);
  BOOST_TEST(p.segments.front().discontinuity);
  BOOST_TEST(!w.init(1));
}

BOOST_AUTO_TEST_CASE(every_uri_carries_the_query) {
  HlsWindow w;
  w.set_init(init(1));
  Feed feed(w);
  feed.frames(120);
  const std::string q = "?audio=0&token=abc%2Bdef";
  const std::string text = w.playlist(q);
  const auto p = playlist(w, q);
  BOOST_TEST(p.segments.front().map == "init.mp4?v=1&audio=0&token=abc%2Bdef");
  for (const auto& s : p.segments) {
    if (s.duration) BOOST_TEST(s.uri.ends_with(q));
    for (const auto& part : s.parts) BOOST_TEST(part.uri.ends_with(q));
  }
  BOOST_TEST(p.hint.ends_with(q));
}

BOOST_AUTO_TEST_CASE(a_camera_without_keyframes_still_gets_segments) {
  HlsWindow w;
  w.set_init(init(1));
  Feed feed(w, 1000);  // 40 s GOP
  feed.frames(400);
  const auto p = playlist(w);
  BOOST_REQUIRE_GE(p.segments.size(), 2u);
  BOOST_TEST(*p.segments[0].duration <= 6.0);
  BOOST_TEST(p.target >= 6);
  BOOST_TEST(!p.segments[1].parts.empty());
  BOOST_TEST(!p.segments[1].parts[0].independent);
}

BOOST_AUTO_TEST_CASE(the_media_hub_feeds_its_windows_from_the_cached_gop_while_players_ask) {
  MediaHub hub;
  hub.publish_init(MediaHub::kVideoOnly, init(1));
  const auto frame = [&](int i) {
    auto f = std::make_shared<MediaFragment>();
    f->bytes = {static_cast<std::uint8_t>(i)};
    f->key = i % 50 == 0;
    f->duration = kFrame;
    f->wall = std::chrono::system_clock::now();
    hub.publish(MediaHub::kVideoOnly, f);
  };
  for (int i = 0; i < 60; ++i) frame(i);  // nobody asked: cached as a GOP only
  BOOST_TEST(!hub.wanted(MediaClock::now(), std::chrono::seconds(10)));
  HlsWindow& w = hub.hls(true, "127.0.0.1");  // the camera has no audio: the video-only window
  BOOST_TEST(hub.wanted(MediaClock::now(), std::chrono::seconds(10)));
  BOOST_TEST(hub.stats().hls_sessions == 1);
  // The cached GOP (frames 50 to 59) is in the window at once: one part made.
  BOOST_TEST(parse_ll_playlist(w.playlist("")).segments.at(0).parts.size() == 1u);
  for (int i = 60; i < 101; ++i) frame(i);
  BOOST_TEST((w.ready({}) == HlsWindow::Ready::kYes));
  const auto first = w.segment(0);
  BOOST_REQUIRE(!first.empty());
  BOOST_TEST(first.front()->bytes.front() == 50);
  BOOST_TEST(first.back()->bytes.back() == 99);
  hub.drop_cache();  // disconnected for want of viewers: nothing stale is served
  BOOST_TEST((w.ready({}) == HlsWindow::Ready::kWait));
}

BOOST_AUTO_TEST_SUITE_END()
