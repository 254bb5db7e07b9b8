// SPDX-License-Identifier: MIT
// cctv-hls run as a user would, against the camera fixture; playlists checked
// with a strict line grammar, segments with ffprobe/ffmpeg/openssl, and
// playback through Debian's nginx.
#define BOOST_TEST_MODULE hls_integration
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <ranges>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

Camera& camera() {
  static Camera cam;
  return cam;
}

// ---------------------------------------------------------------------------
// A strict m3u8 reader: every line must be one this grammar knows (RFC 8216
// section 4), with well-formed values; anything else is an error.
// ---------------------------------------------------------------------------

struct Seg {
  std::string uri;
  double duration = 0;
  bool discontinuity = false;
  std::string key_uri, map_uri, pdt;
};

struct MediaList {
  int version = 0, target = -1;
  long sequence = -1, discontinuity_sequence = 0;
  bool independent = false, endlist = false;
  std::vector<Seg> segs;
  std::vector<std::string> comments;
};

struct StreamInf {
  std::map<std::string, std::string> attrs;
  std::string uri;
};

// "A=1,B=\"x,y\"" -> {A: 1, B: x,y}; throws on a malformed list.
std::map<std::string, std::string> parse_attrs(const std::string& s) {
  static const std::regex kAttr(R"(([A-Z0-9-]+)=("[^"\r\n]*"|[^",]*)(,|$))");
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::smatch m;
    const std::string rest = s.substr(pos);
    if (!std::regex_search(rest, m, kAttr, std::regex_constants::match_continuous)) {
      throw std::runtime_error("bad attribute list: " + s);
    }
    std::string v = m[2];
    if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
    if (!out.emplace(m[1], v).second) throw std::runtime_error("attribute repeats: " + s);
    pos += static_cast<std::size_t>(m.length(0));
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  if (text.empty() || text.back() != '\n') throw std::runtime_error("playlist does not end with a newline");
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') throw std::runtime_error("CR in playlist");
    out.push_back(l);
  }
  if (out.empty() || out[0] != "#EXTM3U") throw std::runtime_error("first line is not #EXTM3U");
  return out;
}

bool starts(const std::string& s, const char* prefix, std::string& rest) {
  const std::size_t n = std::strlen(prefix);
  if (s.compare(0, n, prefix) != 0) return false;
  rest = s.substr(n);
  return true;
}

long to_long(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) throw std::runtime_error("not an integer: " + s);
  return std::stol(s);
}

MediaList parse_media(const std::string& text) {
  static const std::regex kPdt(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  static const std::regex kExtinf(R"((\d+(\.\d+)?),)");
  MediaList p;
  Seg cur;
  std::string key, map;
  bool have_inf = false;
  for (const std::string& l : lines_of(text) | std::views::drop(1)) {
    std::string v;
    if (starts(l, "#EXT-X-VERSION:", v)) p.version = static_cast<int>(to_long(v));
    else if (starts(l, "#EXT-X-TARGETDURATION:", v)) p.target = static_cast<int>(to_long(v));
    else if (starts(l, "#EXT-X-MEDIA-SEQUENCE:", v)) p.sequence = to_long(v);
    else if (starts(l, "#EXT-X-DISCONTINUITY-SEQUENCE:", v)) p.discontinuity_sequence = to_long(v);
    else if (l == "#EXT-X-INDEPENDENT-SEGMENTS") p.independent = true;
    else if (l == "#EXT-X-ENDLIST") p.endlist = true;
    else if (l == "#EXT-X-DISCONTINUITY") cur.discontinuity = true;
    else if (starts(l, "#EXT-X-PROGRAM-DATE-TIME:", v)) {
      if (!std::regex_match(v, kPdt)) throw std::runtime_error("bad date: " + l);
      cur.pdt = v;
    } else if (starts(l, "#EXT-X-KEY:", v)) {
      auto a = parse_attrs(v);
      if (a["METHOD"] == "NONE") key.clear();
      else if (a["METHOD"] == "AES-128" && !a["URI"].empty()) key = a["URI"];
      else throw std::runtime_error("bad key: " + l);
    } else if (starts(l, "#EXT-X-MAP:", v)) {
      auto a = parse_attrs(v);
      if (a.size() != 1 || a["URI"].empty()) throw std::runtime_error("bad map: " + l);
      map = a["URI"];
    } else if (starts(l, "#EXTINF:", v)) {
      std::smatch m;
      if (!std::regex_match(v, m, kExtinf)) throw std::runtime_error("bad EXTINF: " + l);
      cur.duration = std::stod(m[1]);
      have_inf = true;
    } else if (!l.empty() && l[0] != '#' && have_inf) {
      cur.uri = l;
      cur.key_uri = key;
      cur.map_uri = map;
      p.segs.push_back(cur);
      cur = {};
      have_inf = false;
    } else if (l.starts_with("#") && !l.starts_with("#EXT")) {
      p.comments.push_back(l);  // a comment (RFC 8216 4.1); an unknown tag is an error
    } else {
      throw std::runtime_error("unexpected line: '" + l + "'");
    }
  }
  if (have_inf) throw std::runtime_error("EXTINF without a URI");
  if (p.version < 3 || p.target < 1 || p.sequence < 0) throw std::runtime_error("missing VERSION, TARGETDURATION or MEDIA-SEQUENCE");
  if (!map.empty() && p.version < 6) throw std::runtime_error("EXT-X-MAP needs version 6");
  for (const Seg& s : p.segs) {
    if (std::lround(s.duration) > p.target) throw std::runtime_error("EXTINF above the target duration: " + s.uri);
  }
  return p;
}

std::vector<StreamInf> parse_master(const std::string& text) {
  std::vector<StreamInf> out;
  std::optional<StreamInf> pending;
  for (const std::string& l : lines_of(text) | std::views::drop(1)) {
    std::string v;
    if (starts(l, "#EXT-X-VERSION:", v)) to_long(v);
    else if (l == "#EXT-X-INDEPENDENT-SEGMENTS") {}
    else if (starts(l, "#EXT-X-STREAM-INF:", v)) pending = StreamInf{parse_attrs(v), ""};
    else if (!l.empty() && l[0] != '#' && pending) {
      pending->uri = l;
      out.push_back(*pending);
      pending.reset();
    } else {
      throw std::runtime_error("unexpected master line: '" + l + "'");
    }
  }
  return out;
}

// The playlist in `dir`, parsed; nullopt while it does not exist yet.
std::optional<MediaList> read_media(const fs::path& dir) {
  if (!fs::exists(dir / "stream.m3u8")) return std::nullopt;
  return parse_media(slurp(dir / "stream.m3u8"));
}

// Waits (at most `limit`) for a playlist satisfying `pred`.
template <typename Pred>
std::optional<MediaList> wait_for(const fs::path& dir, std::chrono::milliseconds limit, Pred pred) {
  const auto end = SteadyClock::now() + limit;
  while (SteadyClock::now() < end) {
    if (auto p = read_media(dir); p && pred(*p)) return p;
    std::this_thread::sleep_for(100ms);
  }
  return std::nullopt;
}

// ffprobe's view of a media file: "codec_name,..." per stream, frames decoded.
struct Probe {
  int exit_code = -1;
  std::string err, streams;
  long video_frames = 0;
};

Probe ffprobe(const fs::path& file, const std::vector<std::string>& input_args = {}) {
  std::vector<std::string> argv{"ffprobe", "-v", "error"};
  argv.insert(argv.end(), input_args.begin(), input_args.end());
  for (const char* a : {"-count_frames", "-show_entries", "stream=codec_type,codec_name,codec_tag_string,nb_read_frames",
                        "-of", "csv=p=0"}) {
    argv.push_back(a);
  }
  argv.push_back(file.string());
  const RunResult r = run_tool(argv, 30s);
  Probe p{r.exit_code, r.err, r.out, 0};
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    // nb_read_frames is N/A for a file without samples (an init segment).
    if (l.find("video") != std::string::npos) p.video_frames = std::strtol(l.c_str() + l.rfind(',') + 1, nullptr, 10);
  }
  return p;
}

// An fMP4 segment decodes only after its init segment: concatenate them.
fs::path with_init(const fs::path& dir, const Seg& s) {
  if (s.map_uri.empty()) return dir / s.uri;
  const fs::path joined = dir / (s.uri + ".joined.mp4");
  std::ofstream(joined, std::ios::binary) << slurp(dir / s.map_uri) << slurp(dir / s.uri);
  return joined;
}

// ---------------------------------------------------------------------------
// The long runs, all started together on first use so their waits overlap.
// ---------------------------------------------------------------------------

constexpr std::string_view kKeyPrefix = "https://keys.example/cam3/";

struct HlsRun {
  TempDir tmp;
  fs::path dir;
  Process proc;
  SteadyClock::time_point started;

  HlsRun(const std::vector<std::string>& args, const std::string& sub = "") {
    dir = sub.empty() ? tmp.path() : tmp.path() / sub;
    fs::create_directories(dir);
    std::vector<std::string> argv{"cctv-hls", "-o", dir.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    proc.start(argv);
    started = SteadyClock::now();
  }
  // Waits until `seconds` after the start.
  void until(double seconds) const {
    std::this_thread::sleep_until(started + std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
  }
  int stop() {
    proc.signal(SIGTERM);
    auto rc = proc.wait(15s);
    return rc ? *rc : proc.kill();
  }
};

// Two runs on one folder that also holds a user's files, the second after
// the first stopped: what each leaves, for the test case to judge.
struct Restart {
  fs::path dir;
  std::string failed;                // the step that did not happen in time
  std::map<std::string, std::string> user;  // a user's files and their contents
  std::set<std::string> earlier;     // the first run's files left on disk (its playlist aside)
  std::vector<std::string> earlier_comments;
  long earlier_last = -1;            // the first run's last media sequence
  long later_first = -1;             // the second run's first media sequence
  std::set<std::string> earlier_left;  // of `earlier`, still there once the second run listed a segment
  bool second_running = false;
  int first_exit = -1, second_exit = -1;
  std::string err;                   // both runs' stderr
};

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Runs in a thread of its own (a Process belongs to the thread that started it).
Restart run_restart(const fs::path& dir) {
  Restart r;
  r.dir = dir;
  // What an old version deleted (every stream-N file), and a number whose +1 overflowed.
  r.user = {{"stream-1.mp4", "a user's video"}, {"notes.txt", "notes"}, {"stream-0.ts", "a user's TS file"},
            {"stream-9223372036854775807.ts", "a huge number"}};
  for (const auto& [name, text] : r.user) write_file(dir / name, text);
  const std::vector<std::string> argv{"cctv-hls", "--segment-time", "1", "--list-size", "1", "-o", dir.string(),
                                      camera().url("h264")};
  const auto stop = [](Process& p) {
    p.signal(SIGTERM);
    const auto rc = p.wait(15s);
    return rc ? *rc : p.kill();
  };
  {
    // One listed, two more on disk: a playlist naming segments it lists and ones it holds.
    Process first(argv);
    const auto p = wait_for(dir, 60s, [](const MediaList& m) { return m.sequence >= 3; });
    r.first_exit = stop(first);
    r.err = first.stderr_text();
    if (!p) {
      r.failed = "the first run listed no third segment";
      return r;
    }
  }
  const auto last = read_media(dir);
  r.earlier_last = last->sequence + static_cast<long>(last->segs.size()) - 1;
  r.earlier_comments = last->comments;
  for (const auto& name : names_in(dir)) {
    if (!r.user.contains(name) && name != "stream.m3u8") r.earlier.insert(name);
  }
  Process second(argv);
  const auto p = wait_for(dir, 60s, [&r](const MediaList& m) { return m.sequence > r.earlier_last; });
  if (!p) {
    r.failed = "the second run listed no segment";
  } else {
    r.later_first = p->sequence;
    // Deleted right after its first playlist is in place.
    poll_until(30s, [&] {
      r.earlier_left.clear();
      for (const auto& name : r.earlier) {
        if (fs::exists(fs::symlink_status(dir / name))) r.earlier_left.insert(name);
      }
      return r.earlier_left.empty();
    });
  }
  r.second_running = second.running();
  r.second_exit = stop(second);
  r.err += second.stderr_text();
  return r;
}

struct Runs {
  // H.264 in 1 s TS segments, 3 listed: sequence, deletion, nginx playback.
  HlsRun h264{{"--segment-time", "1", "--list-size", "3", camera().url("h264")}, "cam"};
  HlsRun h265{{"--segment-time", "1", camera().url("h265")}};
  HlsRun pcma{{"--segment-time", "1", camera().url("h264-pcma")}};
  HlsRun encrypted{{"--segment-time", "1", "--encrypt", "--key-rotate", "2", camera().url("h264")}};
  // Keys in a folder of their own, named in the playlist under a prefix.
  TempDir key_folder;
  HlsRun keys_elsewhere{{"--segment-time", "1", "--encrypt", "--key-dir", key_folder.path().string(), "--key-uri",
                         std::string(kKeyPrefix), "--variant", "main=" + camera().url("h264")}};
  HlsRun variants{{"--segment-time", "1", "--variant", "main=" + camera().url("h264"), "--variant",
                   "sub=" + camera().url("h265")}};
  HlsRun vod{{"--segment-time", "1", "--vod-on-exit", camera().url("h264-pcma")}};
  // No keyframe for 3 x 3 s ends each connection (with a 1 s stall timeout,
  // a loaded machine's pause between packets ended it first as a timeout).
  HlsRun no_keyframe{{"--stall-timeout", "3", "-vv", camera().url("no-keyframe")}};  // -vv: every retry logged
  // A 1200 KiB tmpfs (private mount namespace; root only) fills up after three
  // 2 s segments of the fixture's 1.5 Mbit/s.
  TempDir full_tmp;
  Process full;
  TempDir restart_tmp;
  std::shared_future<Restart> restart =
      std::async(std::launch::async, [this] { return run_restart(restart_tmp.path()); }).share();
  Runs() {
    if (::geteuid() != 0) return;
    full.start({"unshare", "--mount", "sh", "-c",
                "mount -t tmpfs -o size=1200k tmpfs \"$1\" && exec \"$2\" -v --segment-time 1 --list-size 2 -o \"$1\" \"$3\"",
                "sh", full_tmp.path().string(), (bin_dir() / "cctv-hls").string(), camera().url("h264")});
  }
};

Runs& runs() {
  static Runs r;
  return r;
}

// True when `bytes` is whole 188-byte MPEG-TS packets, each starting with the 0x47 sync byte.
bool ts_sync_everywhere(const std::string& bytes) {
  if (bytes.empty() || bytes.size() % 188 != 0) return false;
  for (std::size_t i = 0; i < bytes.size(); i += 188)
    if (bytes[i] != 0x47) return false;
  return true;
}

// Decrypts segment `seg` (AES-128-CBC, IV = its media sequence number) with
// openssl and the 16-byte key in `key_file`: the plain text must be MPEG-TS
// that decodes, and the cipher text must not look like TS.
void check_decrypts(const fs::path& seg, const fs::path& key_file, long sequence) {
  const std::string key = slurp(key_file);
  BOOST_REQUIRE_EQUAL(key.size(), 16u);
  std::string hex;
  for (unsigned char c : key) {
    char h[3];
    std::snprintf(h, sizeof h, "%02x", c);
    hex += h;
  }
  char iv[33];
  std::snprintf(iv, sizeof iv, "%032lx", sequence);
  const fs::path plain = seg.string() + ".plain.ts";
  const RunResult d =
      run_tool({"openssl", "aes-128-cbc", "-d", "-K", hex, "-iv", iv, "-in", seg.string(), "-out", plain.string()});
  BOOST_TEST(d.exit_code == 0, d.err);
  const Probe pr = ffprobe(plain);
  BOOST_TEST(pr.exit_code == 0, pr.err);
  BOOST_TEST(pr.video_frames >= 20);
  // The plain text is MPEG-TS (a sync byte every 188 bytes); the cipher text is not.
  // (ffprobe on the cipher text is no test: a format probe can match random bytes.)
  BOOST_TEST(ts_sync_everywhere(slurp(plain)));
  BOOST_TEST(!ts_sync_everywhere(slurp(seg)));
}

void check_segments_decode(const fs::path& dir, const MediaList& p, const std::string& expect_codecs) {
  for (const Seg& s : p.segs) {
    BOOST_TEST_CONTEXT(s.uri) {
      BOOST_REQUIRE(fs::exists(dir / s.uri));
      const Probe pr = ffprobe(with_init(dir, s));
      BOOST_TEST(pr.exit_code == 0, pr.err);
      BOOST_TEST(pr.err.empty(), pr.err);
      BOOST_TEST(pr.streams.find(expect_codecs) != std::string::npos, pr.streams);
      BOOST_TEST(pr.video_frames >= 20);  // about 1 s at 25 fps, from a keyframe
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hls)

BOOST_AUTO_TEST_CASE(h264_playlist_is_strict_m3u8_and_every_segment_decodes) {
  Runs& r = runs();
  auto p = wait_for(r.h264.dir, 60s, [](const MediaList& m) { return m.segs.size() >= 3; });
  BOOST_REQUIRE(p);
  BOOST_TEST(p->version == 3);
  BOOST_TEST(p->independent);
  BOOST_TEST(!p->endlist);
  for (const Seg& s : p->segs) {
    BOOST_TEST(!s.pdt.empty());
    BOOST_TEST(s.uri.ends_with(".ts"));
    BOOST_TEST(s.duration == 2.0, s.uri << ": " << s.duration);  // cut at the keyframes, a 2 s GOP
  }
  check_segments_decode(r.h264.dir, *p, "h264");
}

BOOST_AUTO_TEST_CASE(media_sequence_increases_over_15_s_and_old_segments_are_deleted) {
  Runs& r = runs();
  r.h264.until(3);
  auto first = read_media(r.h264.dir);
  BOOST_REQUIRE(first);
  std::set<std::string> seen;
  long last = first->sequence;
  const auto end = SteadyClock::now() + 15s;
  while (SteadyClock::now() < end) {
    auto p = read_media(r.h264.dir);
    BOOST_REQUIRE(p);
    BOOST_TEST(p->sequence >= last);
    BOOST_TEST(p->segs.size() <= 3u);
    last = p->sequence;
    for (const auto& s : p->segs) seen.insert(s.uri);
    std::this_thread::sleep_for(250ms);
  }
  BOOST_TEST(last >= first->sequence + 6);  // 2 s segments: the fixture's GOP
  // Deleted once out of the list by more than list-size + 1 segments.
  long on_disk = 0;
  for (const auto& e : fs::directory_iterator(r.h264.dir)) on_disk += e.path().extension() == ".ts";
  BOOST_TEST(on_disk <= 3 + 4 + 1);
  BOOST_TEST(!fs::exists(r.h264.dir / ("stream-" + std::to_string(first->sequence) + ".ts")));
  BOOST_TEST(seen.size() >= 8u);
}

BOOST_AUTO_TEST_CASE(h265_gives_fmp4_with_an_hvc1_init_segment) {
  Runs& r = runs();
  auto p = wait_for(r.h265.dir, 60s, [](const MediaList& m) { return m.segs.size() >= 2; });
  BOOST_REQUIRE(p);
  BOOST_TEST(p->version >= 6);
  for (const Seg& s : p->segs) {
    BOOST_TEST(s.uri.ends_with(".m4s"));
    BOOST_TEST(s.map_uri.ends_with(".mp4"));
  }
  const Probe init = ffprobe(r.h265.dir / p->segs[0].map_uri);
  BOOST_TEST(init.streams.find("hevc,video,hvc1") != std::string::npos, init.streams);
  check_segments_decode(r.h265.dir, *p, "hevc");
}

BOOST_AUTO_TEST_CASE(h264_with_pcma_gives_aac_audio_in_the_segments) {
  Runs& r = runs();
  auto p = wait_for(r.pcma.dir, 60s, [](const MediaList& m) { return m.segs.size() >= 2; });
  BOOST_REQUIRE(p);
  check_segments_decode(r.pcma.dir, *p, "aac");
  const Probe pr = ffprobe(r.pcma.dir / p->segs.back().uri);
  BOOST_TEST(pr.streams.find("audio") != std::string::npos, pr.streams);
}

BOOST_AUTO_TEST_CASE(encrypted_segments_decrypt_with_their_key_and_decode) {
  Runs& r = runs();
  auto p = wait_for(r.encrypted.dir, 60s, [](const MediaList& m) { return m.segs.size() >= 4; });
  BOOST_REQUIRE(p);
  std::set<std::string> keys;
  long seq = p->sequence;
  for (const Seg& s : p->segs) {
    BOOST_TEST_CONTEXT(s.uri) {
      BOOST_REQUIRE(!s.key_uri.empty());
      keys.insert(s.key_uri);
      check_decrypts(r.encrypted.dir / s.uri, r.encrypted.dir / s.key_uri, seq++);
    }
  }
  BOOST_TEST(keys.size() >= 2u);  // rotated every 2 segments
}

BOOST_AUTO_TEST_CASE(key_dir_keeps_the_keys_out_of_the_served_folder) {
  Runs& r = runs();
  const fs::path out = r.keys_elsewhere.dir / "main";
  const fs::path keys = r.key_folder.path() / "main";  // DIR/NAME for a --variant
  auto p = wait_for(out, 60s, [](const MediaList& m) { return m.segs.size() >= 2; });
  BOOST_REQUIRE_MESSAGE(p, r.keys_elsewhere.proc.stderr_text());
  for (const auto& e : fs::directory_iterator(out)) BOOST_TEST(e.path().extension() != ".key", e.path());
  long seq = p->sequence;
  for (const Seg& s : p->segs) {
    BOOST_TEST_CONTEXT(s.uri) {
      BOOST_REQUIRE(s.key_uri.rfind(kKeyPrefix, 0) == 0);
      check_decrypts(out / s.uri, keys / s.key_uri.substr(kKeyPrefix.size()), seq++);
    }
  }
}

BOOST_AUTO_TEST_CASE(master_playlist_lists_both_variants_with_their_attributes) {
  Runs& r = runs();
  const fs::path master = r.variants.tmp.path() / "stream.m3u8";
  poll_until(60s, [&] { return fs::exists(master); });
  BOOST_REQUIRE(fs::exists(master));
  const auto vs = parse_master(slurp(master));
  BOOST_REQUIRE_EQUAL(vs.size(), 2u);
  BOOST_TEST(vs[0].uri == "main/stream.m3u8");
  BOOST_TEST(vs[1].uri == "sub/stream.m3u8");
  for (const auto& v : vs) {
    BOOST_TEST_CONTEXT(v.uri) {
      BOOST_TEST(v.attrs.at("RESOLUTION") == "1280x720");
      const long bw = std::stol(v.attrs.at("BANDWIDTH"));
      BOOST_TEST(bw > 100'000);  // the fixture sends about 1.5 Mbit/s
      BOOST_TEST(bw < 20'000'000);
      BOOST_TEST(parse_media(slurp(r.variants.tmp.path() / v.uri)).segs.size() >= 1u);
    }
  }
  BOOST_TEST(std::regex_match(vs[0].attrs.at("CODECS"), std::regex(R"(avc1\.[0-9a-f]{6})")), vs[0].attrs.at("CODECS"));
  BOOST_TEST(std::regex_match(vs[1].attrs.at("CODECS"), std::regex(R"(hvc1\.\d+\.[0-9A-F]+\.[LH]\d+(\.[0-9A-F]+)*)")),
             vs[1].attrs.at("CODECS"));
}

BOOST_AUTO_TEST_CASE(sigterm_lists_a_complete_last_segment_and_vod_on_exit_ends_the_list) {
  Runs& r = runs();
  auto p = wait_for(r.vod.dir, 60s, [](const MediaList& m) { return m.segs.size() >= 2; });
  BOOST_REQUIRE(p);
  // The run started long ago (all runs start together): wait for the next
  // segment to be listed, so that the stop lands 0.5 s into a new one.
  const std::string newest = p->segs.back().uri;
  BOOST_REQUIRE(wait_for(r.vod.dir, 30s, [&](const MediaList& m) { return m.segs.back().uri != newest; }));
  std::this_thread::sleep_for(500ms);  // mid-segment
  BOOST_TEST(r.vod.stop() == 0, r.vod.proc.stderr_text());
  auto last = read_media(r.vod.dir);
  BOOST_REQUIRE(last);
  BOOST_TEST(last->endlist);
  BOOST_REQUIRE(!last->segs.empty());
  const Seg& s = last->segs.back();
  BOOST_TEST(s.duration > 0.1);
  const Probe pr = ffprobe(r.vod.dir / s.uri);
  BOOST_TEST(pr.exit_code == 0, pr.err);
  BOOST_TEST(pr.err.empty(), pr.err);
  BOOST_TEST(std::abs(pr.video_frames - s.duration * 25) <= 2, pr.video_frames << " frames, " << s.duration << " s");
  BOOST_TEST(pr.streams.find("aac") != std::string::npos);
  // Nothing half-written is left behind.
  for (const auto& e : fs::directory_iterator(r.vod.dir)) BOOST_TEST(e.path().string().find(".tmp") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(outage_of_5_s_gives_a_discontinuity_and_a_valid_playlist_after) {
  Camera cam;
  HlsRun run({"--segment-time", "1", "--list-size", "10", cam.url("h264")});
  auto before = wait_for(run.dir, 60s, [](const MediaList& m) { return m.segs.size() >= 2; });
  BOOST_REQUIRE(before);
  cam.stop();
  std::this_thread::sleep_for(5s);
  cam.start();
  auto after = wait_for(run.dir, 90s, [](const MediaList& m) {
    for (std::size_t i = 0; i + 2 < m.segs.size(); ++i) {
      if (m.segs[i].discontinuity) return true;  // and two segments after it
    }
    return false;
  });
  BOOST_REQUIRE_MESSAGE(after, run.proc.stderr_text());
  BOOST_TEST(after->sequence >= before->sequence);
  BOOST_TEST(run.proc.running());
  // PROGRAM-DATE-TIME (fixed-width UTC) keeps increasing across the outage.
  for (std::size_t i = 1; i < after->segs.size(); ++i) BOOST_TEST(after->segs[i - 1].pdt < after->segs[i].pdt);
  for (const Seg& s : after->segs) {
    const Probe pr = ffprobe(run.dir / s.uri);
    BOOST_TEST(pr.exit_code == 0, s.uri << ": " << pr.err);
  }
  BOOST_TEST(run.stop() == 0);
}

BOOST_AUTO_TEST_CASE(nginx_with_the_readme_block_serves_a_stream_ffmpeg_plays_for_10_s) {
  Runs& r = runs();
  BOOST_REQUIRE(wait_for(r.h264.dir, 60s, [](const MediaList& m) { return m.segs.size() >= 3; }));
  // The README's server block, with the test's port and folder.
  const fs::path source_dir = fs::path(__FILE__).parent_path().parent_path().parent_path();
  std::string block = slurp(source_dir / "examples/nginx/cctv-hls.conf");
  BOOST_REQUIRE(!block.empty());
  const int port = closed_port();
  const auto replace = [&block](const std::string& from, const std::string& to) {
    const auto at = block.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
    block.replace(at, from.size(), to);
  };
  replace("listen 8080;", "listen 127.0.0.1:" + std::to_string(port) + ";");
  replace("alias /run/cctv-hls/;", "alias " + r.h264.tmp.path().string() + "/;");
  TempDir ng;
  std::ofstream(ng.path() / "server.conf") << block;
  std::ofstream(ng.path() / "nginx.conf")
      << "daemon off;\nmaster_process off;\npid " << (ng.path() / "nginx.pid").string() << ";\nerror_log "
      << (ng.path() / "error.log").string() << ";\nevents {}\nhttp {\n  access_log off;\n"
      << "  client_body_temp_path " << ng.path().string() << ";\n  proxy_temp_path " << ng.path().string()
      << ";\n  fastcgi_temp_path " << ng.path().string() << ";\n  uwsgi_temp_path " << ng.path().string()
      << ";\n  scgi_temp_path " << ng.path().string() << ";\n  include " << (ng.path() / "server.conf").string()
      << ";\n}\n";
  Process nginx({"/usr/sbin/nginx", "-e", (ng.path() / "error.log").string(), "-p", ng.path().string(), "-c",
                 (ng.path() / "nginx.conf").string()});
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hls/cam/stream.m3u8";
  // nginx is up once it answers: a loaded machine may take a while to start it.
  RunResult head;
  poll_until(30s, [&] {
    head = run_tool({"curl", "-sI", url}, 10s);
    return head.exit_code == 0 || !nginx.running();
  }, 200ms);
  BOOST_REQUIRE_MESSAGE(nginx.running(), slurp(ng.path() / "error.log"));
  BOOST_TEST(head.out.find("application/vnd.apple.mpegurl") != std::string::npos, head.out);
  BOOST_TEST(head.out.find("Cache-Control: no-cache") != std::string::npos, head.out);
  // 10 s of playback in real time (-re), decoded to nowhere.
  const RunResult play = run_tool({"ffmpeg", "-v", "error", "-re", "-i", url, "-t", "10", "-f", "null", "-"}, 40s);
  BOOST_TEST(play.exit_code == 0, play.err);
  BOOST_TEST(play.err.empty(), play.err);
  BOOST_TEST(!play.timed_out);
}

BOOST_AUTO_TEST_CASE(disk_full_loses_a_segment_but_never_corrupts_the_playlist) {
  Runs& r = runs();
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: a small tmpfs needs root");
    return;
  }
  // unshare and sh exec, so the pid is cctv-hls's; its mounts are seen through /proc/PID/root.
  const fs::path dir = fs::path("/proc") / std::to_string(r.full.pid()) / "root" / r.full_tmp.path().relative_path();
  const auto end = SteadyClock::now() + 40s;
  while (r.full.stderr_text().find("lost") == std::string::npos && SteadyClock::now() < end) {
    std::this_thread::sleep_for(200ms);
  }
  BOOST_REQUIRE_MESSAGE(r.full.stderr_text().find("No space left") != std::string::npos, r.full.stderr_text());
  const long lost_at = read_media(dir)->sequence;
  // It goes on: later segments are listed, and the playlist always parses.
  auto p = wait_for(dir, 60s, [lost_at](const MediaList& m) { return m.sequence >= lost_at + 2; });
  BOOST_REQUIRE_MESSAGE(p, r.full.stderr_text());
  BOOST_TEST(r.full.running());
  for (const Seg& s : p->segs) BOOST_TEST(ffprobe(dir / s.uri).exit_code == 0, s.uri);
}

BOOST_AUTO_TEST_CASE(a_restart_deletes_the_earlier_runs_files_and_nothing_of_a_users) {
  const Restart& r = runs().restart.get();
  BOOST_REQUIRE_MESSAGE(r.failed.empty(), r.failed << "\n" << r.err);
  BOOST_TEST(r.first_exit == 0, r.err);
  BOOST_TEST(r.second_exit == 0, r.err);
  BOOST_TEST(r.second_running);
  // The first run's playlist named what it held beyond the listed segment.
  BOOST_TEST(r.earlier.size() >= 2u);
  BOOST_TEST(r.earlier_comments.size() == 2u);
  // Everything the earlier run left is gone once the second has a playlist;
  // its numbers go on (past the user's stream-0.ts too).
  BOOST_TEST(r.earlier_left.empty(), "left: " << r.earlier_left.size() << " of " << r.earlier.size());
  BOOST_TEST(r.later_first > r.earlier_last);
  BOOST_TEST(r.earlier_last >= 3);
  // The user's files, untouched by either run.
  for (const auto& [name, text] : r.user) BOOST_TEST(slurp(r.dir / name) == text, name);
  BOOST_TEST(r.err.find("not written by cctv-hls") == std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(missing_output_folder_exits_7_before_connecting) {
  SilentListener silent;  // connecting first would give 3 after the timeout
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(silent.port()) + "/h264";
  const RunResult r = run_tool({"cctv-hls", "--timeout", "5", "-o", "/nonexistent/hls", url}, 20s);
  BOOST_TEST(r.exit_code == 7, r.err);
  BOOST_TEST(r.err.find("/nonexistent/hls") != std::string::npos, r.err);
  BOOST_TEST(r.seconds < 4);
  // The same for a missing key folder.
  TempDir tmp;
  const RunResult k = run_tool(
      {"cctv-hls", "--timeout", "5", "--encrypt", "--key-dir", "/nonexistent/keys", "-o", tmp.path().string(), url}, 20s);
  BOOST_TEST(k.exit_code == 7, k.err);
  BOOST_TEST(k.err.find("key folder '/nonexistent/keys' does not exist") != std::string::npos, k.err);
  BOOST_TEST(k.seconds < 4);
  BOOST_TEST(fs::is_empty(tmp.path()));
}

BOOST_AUTO_TEST_CASE(read_only_output_folder_exits_7) {
  TempDir tmp;
  SilentListener silent;
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(silent.port()) + "/h264";
  RunResult r;
  if (::geteuid() == 0) {
    // root writes through permission bits: a really read-only mount in a private namespace.
    r = run_tool({"unshare", "--mount", "sh", "-c", "mount -t tmpfs -o ro tmpfs \"$1\" && exec \"$2\" --timeout 5 -o \"$1\" \"$3\"",
                  "sh", tmp.path().string(), (bin_dir() / "cctv-hls").string(), url},
                 20s);
  } else {
    fs::permissions(tmp.path(), fs::perms::owner_read | fs::perms::owner_exec);
    r = run_tool({"cctv-hls", "--timeout", "5", "-o", tmp.path().string(), url}, 20s);
    fs::permissions(tmp.path(), fs::perms::owner_all);
  }
  BOOST_TEST(r.exit_code == 7, r.err);
}

BOOST_AUTO_TEST_CASE(mjpeg_camera_exits_6_and_bad_options_exit_2) {
  TempDir tmp;
  const RunResult mjpeg = run_tool({"cctv-hls", "-o", tmp.path().string(), camera().url("mjpeg")}, 30s);
  BOOST_TEST(mjpeg.exit_code == 6, mjpeg.err);
  BOOST_TEST(run_tool({"cctv-hls", "-o", tmp.path().string()}).exit_code == 2);  // no URL
  BOOST_TEST(run_tool({"cctv-hls", "-o", tmp.path().string(), "--variant", "a b=rtsp://x/", "rtsp://x/"}).exit_code == 2);
  BOOST_TEST(run_tool({"cctv-hls", "-o", tmp.path().string(), "--key-rotate", "3", "rtsp://x/"}).exit_code == 2);
  BOOST_TEST(run_tool({"cctv-hls", "-o", tmp.path().string(), "--key-dir", "/tmp", "rtsp://x/"}).exit_code == 2);
  BOOST_TEST(run_tool({"cctv-hls", "-o", tmp.path().string(), "--segment-type", "mkv", "rtsp://x/"}).exit_code == 2);
  const RunResult missing = run_tool({"cctv-hls", "-o", tmp.path().string(), camera().url("nothing")}, 30s);
  BOOST_TEST(missing.exit_code == 5, missing.err);
}

BOOST_AUTO_TEST_CASE(a_camera_without_keyframes_is_reconnected_with_a_warning_and_lists_nothing) {
  Runs& r = runs();
  // No keyframe by 9 s, a reconnect, none again by about 19 s.
  constexpr std::string_view kReason = "no keyframe within 9 s; retrying";
  poll_until(60s, [&] { return count(r.no_keyframe.proc.stderr_text(), kReason) >= 2; });
  BOOST_TEST(r.no_keyframe.stop() == 0);
  const std::string err = r.no_keyframe.proc.stderr_text();
  BOOST_TEST(count(err, kReason) >= 2u, err);
  // Only the first is a warning; the repeats of the same reason are debug lines.
  BOOST_TEST(count(err, "warning: " + camera().url("no-keyframe") + ": no keyframe within 9 s") == 1u, err);
  BOOST_TEST(fs::is_empty(r.no_keyframe.dir));  // no playlist, no segment
}

BOOST_AUTO_TEST_SUITE_END()
