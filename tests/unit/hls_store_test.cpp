// SPDX-License-Identifier: MIT
// Tests for cctv-hls's store: which files are its own, the marked playlist, and what a restart deletes.
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "hls_playlist.hpp"
#include "hls_store.hpp"

using namespace cctv::hls;
namespace fs = std::filesystem;

namespace {

struct TmpDir {
  fs::path path = fs::temp_directory_path() / ("cctv-hls-store-test-" + std::to_string(::getpid()));
  TmpDir() { fs::create_directories(path); }
  ~TmpDir() { fs::remove_all(path); }
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

Segment seg(std::int64_t n, const std::string& ext = "ts") {
  Segment s;
  s.sequence = n;
  s.uri = "stream-" + std::to_string(n) + "." + ext;
  s.duration = 2.0;
  s.program_date_time = SystemTime(std::chrono::seconds(1'700'000'000 + n * 2));
  return s;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hls_store)

BOOST_AUTO_TEST_CASE(own_names_are_exactly_the_ones_cctv_hls_writes) {
  BOOST_TEST(*own_file_sequence("stream-0.ts") == 0);
  BOOST_TEST(*own_file_sequence("stream-42.m4s") == 42);
  BOOST_TEST(*own_file_sequence("init-7.mp4") == 7);
  BOOST_TEST(*own_file_sequence("key-3.key") == 3);
  BOOST_TEST(*own_file_sequence("stream-999999999999999999.ts") == 999'999'999'999'999'999);  // 18 digits
  for (const char* other : {"stream-1.mp4", "init-1.ts", "key-1.ts", "stream-1.key", "stream-01.ts", "stream--1.ts",
                            "stream-+1.ts", "stream-.ts", "stream-1", "stream-1.ts.bak", "stream-1e3.ts",
                            "stream- 1.ts", "x/stream-1.ts", "Stream-1.ts", "notes.txt", "stream.m3u8",
                            "stream-9223372036854775807.ts",  // +1 would overflow
                            "stream-1000000000000000000.ts", "stream-99999999999999999999999.ts"}) {
    BOOST_TEST(!own_file_sequence(other).has_value(), other);
  }
}

BOOST_AUTO_TEST_CASE(marked_playlist_stays_valid_hls_and_names_its_files) {
  MediaPlaylist p(2, 2.0);
  for (int i = 40; i < 43; ++i) {
    Segment s = seg(i, "m4s");
    s.map_uri = "init-40.mp4";
    s.key_uri = "https://keys.example/cam3/key-" + std::to_string(i - i % 2) + ".key";
    (void)p.add(s);
  }
  const std::string text = mark_own_playlist(p.render(), {"stream-39.ts", "stream-40.m4s"});
  BOOST_TEST(text.starts_with("#EXTM3U\n# written by cctv-hls\n#EXT-X-VERSION:7\n"));
  BOOST_TEST(text.ends_with("\n# cctv-hls also holds: stream-39.ts stream-40.m4s\n"));
  // Every line is a tag, a URI or a comment ('#' but not "#EXT", RFC 8216 4.1).
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    BOOST_TEST((line.starts_with("#EXT") || line.starts_with("# ") || line.starts_with("stream-")), line);
  }
  const auto files = files_of_own_playlist(text);
  BOOST_REQUIRE(files);
  const std::vector<std::string> expected{"init-40.mp4",    "key-40.key",     "key-42.key",
                                          "stream-39.ts",   "stream-40.m4s", "stream-41.m4s", "stream-42.m4s"};
  BOOST_TEST(*files == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_playlist_without_the_marker_names_nothing) {
  MediaPlaylist p(3, 2.0);
  (void)p.add(seg(5));
  BOOST_TEST(!files_of_own_playlist(p.render()));  // an older cctv-hls, ffmpeg, a user
  BOOST_TEST(!files_of_own_playlist("#EXTM3U\n#EXTINF:2,\nstream-1.ts\n# written by cctv-hls\n"));
  BOOST_TEST(!files_of_own_playlist("# written by cctv-hls\n#EXTM3U\nstream-1.ts\n"));
  BOOST_TEST(!files_of_own_playlist(""));
  // Marked, but naming what cctv-hls never writes: those names are dropped.
  const auto files = files_of_own_playlist(
      "#EXTM3U\n# written by cctv-hls\n#EXT-X-MAP:URI=\"../init-1.mp4\"\n#EXTINF:2,\n../stream-1.ts\n"
      "#EXTINF:2,\n/srv/stream-2.ts\n#EXTINF:2,\nstream-1.mp4\n#EXTINF:2,\nstream-9223372036854775807.ts\n"
      "#EXTINF:2,\nstream-3.ts\n# cctv-hls also holds: notes.txt stream-2.ts\n");
  BOOST_REQUIRE(files);
  BOOST_TEST(*files == (std::vector<std::string>{"stream-2.ts", "stream-3.ts"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_restart_deletes_only_what_the_earlier_run_named_and_never_reuses_a_number) {
  TmpDir d;
  for (const char* user : {"stream-1.mp4", "notes.txt", "stream-9223372036854775807.ts", "stream-7.ts"}) {
    write(d.path / user, user);
  }
  fs::create_symlink(d.path / "notes.txt", d.path / "stream-5.ts");
  for (const char* earlier : {"stream-3.ts", "stream-4.ts", "init-3.mp4"}) write(d.path / earlier, "old");
  write(d.path / "stream.m3u8",
        "#EXTM3U\n# written by cctv-hls\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:4\n"
        "#EXT-X-MAP:URI=\"init-3.mp4\"\n#EXTINF:2.000000,\nstream-4.ts\n#EXTINF:2.000000,\nstream-5.ts\n"
        "# cctv-hls also holds: stream-3.ts\n");
  SegmentStore store(d.path, {});
  // One past stream-7.ts, which it did not write but must not overwrite.
  BOOST_TEST(store.resume() == 8);
  BOOST_TEST(fs::exists(d.path / "stream-4.ts"));  // kept until the first publish
  auto s = store.store_segment(8, "ts", bytes("new"));
  BOOST_REQUIRE(s);
  MediaPlaylist p(3, 2.0);
  (void)p.add(*s);
  BOOST_REQUIRE(store.publish(p.render(), {}));
  BOOST_TEST(!fs::exists(d.path / "stream-3.ts"));
  BOOST_TEST(!fs::exists(d.path / "stream-4.ts"));
  BOOST_TEST(!fs::exists(d.path / "init-3.mp4"));
  BOOST_TEST(fs::is_symlink(d.path / "stream-5.ts"));  // named, but a link: not its file
  for (const char* user : {"stream-1.mp4", "notes.txt", "stream-9223372036854775807.ts", "stream-7.ts"}) {
    BOOST_TEST(slurp(d.path / user) == user, user);
  }
  BOOST_TEST(slurp(d.path / "stream-8.ts") == "new");
  // The first playlist still names the earlier run's files (a crash before
  // they were deleted leaves them to the next run); the next one does not.
  BOOST_TEST(files_of_own_playlist(slurp(d.path / "stream.m3u8"))->size() == 5u);
  auto s2 = store.store_segment(9, "ts", bytes("newer"));
  BOOST_REQUIRE(s2);
  (void)p.add(*s2);
  BOOST_REQUIRE(store.publish(p.render(), {}));
  BOOST_TEST(*files_of_own_playlist(slurp(d.path / "stream.m3u8")) ==
                 (std::vector<std::string>{"stream-8.ts", "stream-9.ts"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_playlist_it_did_not_write_deletes_nothing) {
  TmpDir d;
  write(d.path / "stream-3.ts", "user");
  write(d.path / "stream.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nstream-3.ts\n");
  SegmentStore store(d.path, {});
  BOOST_TEST(store.resume() == 4);
  auto s = store.store_segment(4, "ts", bytes("new"));
  BOOST_REQUIRE(s);
  MediaPlaylist p(3, 2.0);
  (void)p.add(*s);
  BOOST_REQUIRE(store.publish(p.render(), {}));
  BOOST_TEST(slurp(d.path / "stream-3.ts") == "user");
}

BOOST_AUTO_TEST_SUITE_END()
