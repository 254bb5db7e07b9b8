// SPDX-License-Identifier: MIT
// Tests for cctv-hls's playlist model: the window, sequence numbers, tags and the master playlist.
#include <boost/test/unit_test.hpp>

#include "hls_playlist.hpp"

using namespace cctv::hls;

namespace {

Segment seg(std::int64_t n, double duration = 2.0) {
  Segment s;
  s.sequence = n;
  s.uri = "stream-" + std::to_string(n) + ".ts";
  s.duration = duration;
  s.program_date_time = SystemTime(std::chrono::milliseconds(1'700'000'000'000 + n * 2000));
  return s;
}

bool has(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(hls_playlist)

BOOST_AUTO_TEST_CASE(window_keeps_list_size_segments_and_returns_the_dropped_ones) {
  MediaPlaylist p(3, 2.0);
  for (int i = 0; i < 3; ++i) BOOST_TEST(p.add(seg(i)).empty());
  const auto dropped = p.add(seg(3));
  BOOST_REQUIRE_EQUAL(dropped.size(), 1u);
  BOOST_TEST(dropped[0].uri == "stream-0.ts");
  const std::string text = p.render();
  BOOST_TEST(has(text, "#EXT-X-MEDIA-SEQUENCE:1\n"));
  BOOST_TEST(!has(text, "stream-0.ts"));
  BOOST_TEST(has(text, "#EXTINF:2.000000,\nstream-3.ts\n"));
}

BOOST_AUTO_TEST_CASE(header_has_version_target_sequence_and_independent_segments) {
  MediaPlaylist p(6, 2.0);
  p.add(seg(7));
  BOOST_TEST(p.render().rfind("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
                              "#EXT-X-INDEPENDENT-SEGMENTS\n",
                              0) == 0);
}

BOOST_AUTO_TEST_CASE(target_duration_grows_with_a_long_segment_and_never_shrinks) {
  MediaPlaylist p(2, 2.0);
  p.add(seg(0, 2.0));
  BOOST_TEST(p.target_duration() == 2);
  p.add(seg(1, 4.4));  // a camera GOP longer than --segment-time
  BOOST_TEST(p.target_duration() == 4);
  p.add(seg(2, 2.0));
  p.add(seg(3, 2.0));  // the long one is out of the list
  BOOST_TEST(p.target_duration() == 4);
  BOOST_TEST(has(p.render(), "#EXT-X-TARGETDURATION:4\n"));
}

BOOST_AUTO_TEST_CASE(target_duration_rounds_the_segment_time_and_is_at_least_1) {
  BOOST_TEST(MediaPlaylist(3, 0.4).target_duration() == 1);
  BOOST_TEST(MediaPlaylist(3, 2.6).target_duration() == 3);
}

BOOST_AUTO_TEST_CASE(discontinuity_is_tagged_and_counted_once_it_leaves_the_list) {
  MediaPlaylist p(2, 2.0);
  p.add(seg(0));
  auto s1 = seg(1);
  s1.discontinuity = true;
  p.add(s1);
  BOOST_TEST(has(p.render(), "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:"));
  BOOST_TEST(!has(p.render(), "#EXT-X-DISCONTINUITY-SEQUENCE"));
  p.add(seg(2));  // segment 0 leaves: the discontinuity now leads the list
  p.add(seg(3));  // segment 1 leaves: the tag is gone, the count goes up
  BOOST_TEST(has(p.render(), "#EXT-X-DISCONTINUITY-SEQUENCE:1\n"));
  BOOST_TEST(!has(p.render(), "#EXT-X-DISCONTINUITY\n"));
}

BOOST_AUTO_TEST_CASE(key_and_map_tags_appear_at_the_top_and_where_they_change) {
  MediaPlaylist p(6, 2.0);
  for (int i = 0; i < 3; ++i) {
    auto s = seg(i);
    s.uri = "stream-" + std::to_string(i) + ".m4s";
    s.map_uri = "init-0.mp4";
    s.key_uri = i < 2 ? "key-0.key" : "key-2.key";
    p.add(s);
  }
  const std::string text = p.render();
  BOOST_TEST(has(text, "#EXT-X-VERSION:7\n"));
  BOOST_TEST(has(text, "#EXT-X-KEY:METHOD=AES-128,URI=\"key-0.key\"\n#EXT-X-MAP:URI=\"init-0.mp4\"\n"));
  BOOST_TEST(has(text, "stream-1.m4s\n#EXT-X-KEY:METHOD=AES-128,URI=\"key-2.key\"\n#EXT-X-PROGRAM-DATE-TIME"));
  BOOST_TEST(text.find("#EXT-X-MAP") == text.rfind("#EXT-X-MAP"));  // once: it did not change
}

BOOST_AUTO_TEST_CASE(endlist_closes_the_playlist) {
  MediaPlaylist p(6, 2.0);
  p.add(seg(0));
  BOOST_TEST(!has(p.render(), "#EXT-X-ENDLIST"));
  p.end();
  BOOST_TEST(p.render().ends_with("stream-0.ts\n#EXT-X-ENDLIST\n"));
}

BOOST_AUTO_TEST_CASE(program_date_time_is_utc_with_milliseconds) {
  BOOST_TEST(format_program_date_time(SystemTime(std::chrono::milliseconds(1'700'000'000'123))) ==
             "2023-11-14T22:13:20.123Z");
  BOOST_TEST(format_program_date_time(SystemTime(std::chrono::milliseconds(0))) == "1970-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(master_lists_each_variant_with_its_attributes) {
  const std::string text = render_master({{"main/stream.m3u8", 2'000'000, 1'500'000, 1920, 1080, "avc1.640028,mp4a.40.2"},
                                          {"sub/stream.m3u8", 500'000, 0, 0, 0, ""}});
  BOOST_TEST(text == "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n"
                     "#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1500000,RESOLUTION=1920x1080,"
                     "CODECS=\"avc1.640028,mp4a.40.2\"\nmain/stream.m3u8\n"
                     "#EXT-X-STREAM-INF:BANDWIDTH=500000\nsub/stream.m3u8\n");
}

BOOST_AUTO_TEST_SUITE_END()
