// SPDX-License-Identifier: MIT
// cctv-record --playlist (issue 15): day playlists over the files, checked with ffmpeg, ffprobe and the bytes.
//
// The scenarios (an outage, a SIGKILL and a restart, retention over short
// days, a day boundary, MPEG-TS) start at once when the first test case
// needs them and run concurrently, each on its own thread; the cases then
// check one scenario each.
#define BOOST_TEST_MODULE playlist_integration
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr double kGop = 2.0;  // the fixture's GOP, seconds

Camera& camera() {
  static Camera cam;
  return cam;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// One media segment of a playlist, with the tags before it.
struct Entry {
  std::string uri;
  long long offset = 0, size = 0;
  double duration = 0;
  bool discontinuity = false;  // EXT-X-DISCONTINUITY before it
  std::string map;             // EXT-X-MAP before it (the whole tag), or ""
  std::string pdt;             // EXT-X-PROGRAM-DATE-TIME before it, or ""
};

struct Playlist {
  std::string text;
  std::vector<std::string> header;  // tags before the first segment's tags
  std::vector<Entry> entries;
  int target = -1;
  std::string type;  // EXT-X-PLAYLIST-TYPE
  bool endlist = false;
  long media_sequence = 0;
};

std::string after(const std::string& line, const std::string& tag) { return line.substr(tag.size()); }

Playlist parse(const std::string& text) {
  Playlist p;
  p.text = text;
  std::istringstream in(text);
  Entry next;
  bool started = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#EXT-X-TARGETDURATION:")) p.target = std::stoi(after(line, "#EXT-X-TARGETDURATION:"));
    if (line.starts_with("#EXT-X-PLAYLIST-TYPE:")) p.type = after(line, "#EXT-X-PLAYLIST-TYPE:");
    if (line.starts_with("#EXT-X-MEDIA-SEQUENCE:")) p.media_sequence = std::stol(after(line, "#EXT-X-MEDIA-SEQUENCE:"));
    if (line == "#EXT-X-ENDLIST") p.endlist = true;
    if (line == "#EXT-X-DISCONTINUITY") next.discontinuity = started = true;
    if (line.starts_with("#EXT-X-MAP:")) next.map = line, started = true;
    if (line.starts_with("#EXT-X-PROGRAM-DATE-TIME:")) next.pdt = after(line, "#EXT-X-PROGRAM-DATE-TIME:"), started = true;
    if (line.starts_with("#EXTINF:")) next.duration = std::stod(after(line, "#EXTINF:")), started = true;
    if (line.starts_with("#EXT-X-BYTERANGE:")) {
      const std::string v = after(line, "#EXT-X-BYTERANGE:");
      next.size = std::stoll(v.substr(0, v.find('@')));
      next.offset = std::stoll(v.substr(v.find('@') + 1));
    }
    if (!started && line.starts_with("#")) p.header.push_back(line);
    if (!line.empty() && line[0] != '#') {
      next.uri = line;
      p.entries.push_back(next);
      next = Entry{};
    }
  }
  return p;
}

// Every *.m3u8 below `dir`, sorted (by name: by day).
std::vector<fs::path> playlists_below(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() == ".m3u8") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> media_below(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() == ext) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// RFC 3339 UTC with milliseconds ("2026-12-07T10:00:00.123Z") as seconds since the epoch.
double seconds_of(const std::string& t) {
  std::tm tm{};
  const char* rest = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  BOOST_REQUIRE_MESSAGE(rest != nullptr, "not a time: " << t);
  return static_cast<double>(timegm(&tm)) + (*rest == '.' ? std::stod(std::string("0") + rest) : 0.0);
}

// Decodes with ffmpeg: "" when it plays cleanly, else ffmpeg's complaint.
std::string decode_errors(const fs::path& p) {
  const RunResult r = run_tool({"ffmpeg", "-v", "error", "-i", p.string(), "-f", "null", "-"}, 60s);
  if (r.timed_out) return "ffmpeg timed out";
  if (r.exit_code != 0) return "exit " + std::to_string(r.exit_code) + ": " + r.err;
  return r.err;
}

// An EVENT playlist as a copy with ENDLIST beside it (ffmpeg would wait for more), decoded.
std::string decode_event_errors(const fs::path& playlist, const std::string& text) {
  const fs::path copy = playlist.parent_path() / ("check-" + playlist.filename().string());
  write_file(copy, text + "#EXT-X-ENDLIST\n");
  const std::string errors = decode_errors(copy);
  fs::remove(copy);
  return errors;
}

std::string bytes_of(const fs::path& p, long long offset, long long size) {
  std::ifstream in(p, std::ios::binary);
  in.seekg(offset);
  std::string out(static_cast<size_t>(size), '\0');
  in.read(out.data(), size);
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

// "" when every range of `p` (an MP4 playlist in `dir`) starts with a moof
// whose first video frame is a keyframe (ffprobe on the init segment plus the
// range), the init ranges are ftyp + moov, and every range lies in its file.
std::string check_ranges(const fs::path& dir, const Playlist& p, const fs::path& tmp) {
  std::string init;
  for (size_t i = 0; i < p.entries.size(); ++i) {
    const Entry& e = p.entries[i];
    const fs::path file = dir / e.uri;
    if (!e.map.empty()) {
      const auto q = e.map.find("BYTERANGE=\"");
      if (q == std::string::npos) return "MAP without a quoted BYTERANGE: " + e.map;
      const long long n = std::stoll(e.map.substr(q + 11));
      init = bytes_of(file, 0, n);
      if (init.size() < 16 || init.substr(4, 4) != "ftyp" || init.find("moov") == std::string::npos) {
        return "init range of " + e.uri + " is not ftyp+moov";
      }
    }
    if (fs::file_size(file) < static_cast<std::uintmax_t>(e.offset + e.size)) return "range beyond " + e.uri;
    const std::string range = bytes_of(file, e.offset, e.size);
    if (range.size() < 8 || range.substr(4, 4) != "moof") return "range " + std::to_string(i) + " is no moof";
    const fs::path one = tmp / "one.mp4";
    write_file(one, init + range);
    const RunResult r = run_tool({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
                                  "-read_intervals", "%+#1", "-of", "csv=p=0", one.string()});
    if (r.exit_code != 0 || !r.out.starts_with("K")) {
      return "range " + std::to_string(i) + " of " + e.uri + " does not start with a keyframe: " + r.out + r.err;
    }
  }
  return "";
}

struct Recording {
  int exit_code = -1;
  std::string err;
};

void stop(Process& p, int sig, Recording& r) {
  p.signal(sig);
  r.exit_code = p.wait(30s).value_or(-1);
  if (r.exit_code == -1) r.exit_code = p.kill();
  r.err = p.stderr_text();
}

std::vector<std::string> recorder(std::vector<std::string> args) {
  args.insert(args.begin(), {(bin_dir() / "cctv-record").string(), "--playlist"});
  return args;
}

// The segments (EXTINF) of the newest playlist below `dir`.
size_t segments_now(const fs::path& dir) {
  const auto lists = playlists_below(dir);
  return lists.empty() ? 0 : parse(slurp(lists.back())).entries.size();
}

// --- Scenarios -----------------------------------------------------------------

struct Outage {
  fs::path dir;
  double down_for = 0, outage = 0;
  std::set<int> targets;   // EXT-X-TARGETDURATION of every version read while recording
  std::set<std::string> types;
  int versions = 0;
  Recording rec;
};

Outage run_outage(fs::path dir) {
  Outage o;
  o.dir = dir;
  Camera cam;  // its own: stopping it must not disturb the others
  // With G.711 audio, which becomes AAC: fragments the audio starts are in the ranges too.
  Process p(recorder({"--segment-time", "4", "-o", (dir / "%Y-%m-%d/%H-%M-%S.mp4").string(), cam.url("h264-pcma")}));
  std::mutex mu;
  std::string last;
  const auto read_versions = [&] {
    for (const auto& l : playlists_below(dir)) {
      const std::string text = slurp(l);
      if (text.empty() || text == last) continue;
      last = text;
      const Playlist pl = parse(text);
      std::lock_guard lock(mu);
      o.targets.insert(pl.target);
      o.types.insert(pl.type);
      ++o.versions;
    }
  };
  std::jthread reader([&](std::stop_token st) {
    while (!st.stop_requested()) {
      read_versions();
      std::this_thread::sleep_for(100ms);
    }
  });
  poll_until(60s, [&] { return segments_now(dir) >= 3; });
  const auto down = std::chrono::steady_clock::now();
  cam.stop();
  std::this_thread::sleep_until(down + 5s);
  o.down_for = since(down);
  cam.start();
  o.outage = since(down);
  // A new file after the outage, with two segments.
  const size_t before = segments_now(dir);
  poll_until(60s, [&] { return segments_now(dir) >= before + 3; });
  stop(p, SIGTERM, o.rec);
  reader.request_stop();
  reader.join();
  read_versions();  // the last, VOD
  return o;
}

struct Killed {
  fs::path dir;
  std::string killed_text;  // the playlist right after the SIGKILL
  fs::path playlist;
  Recording first, second;
};

Killed run_killed(fs::path dir) {
  Killed k;
  k.dir = dir;
  const auto args = recorder({"--segment-time", "60", "-o", (dir / "k-%H%M%S.mp4").string(), camera().url("h264")});
  {
    Process p(args);
    poll_until(60s, [&] { return segments_now(dir) >= 3; });
    // Right after a GOP was listed, plus a second: mid-GOP.
    const size_t n = segments_now(dir);
    poll_until(30s, [&] { return segments_now(dir) > n; }, 20ms);
    std::this_thread::sleep_for(1s);
    k.first.exit_code = p.kill();
    k.first.err = p.stderr_text();
  }
  const auto lists = playlists_below(dir);
  if (lists.empty()) return k;
  k.playlist = lists.back();
  k.killed_text = slurp(k.playlist);
  Process p(args);
  const size_t files_before = parse(k.killed_text).entries.size();
  // The restart lists a new file with two segments.
  poll_until(60s, [&] {
    const Playlist pl = parse(slurp(k.playlist));
    return !pl.entries.empty() && pl.entries.back().uri != parse(k.killed_text).entries.back().uri &&
           pl.entries.size() >= files_before + 2;
  });
  stop(p, SIGTERM, k.second);
  return k;
}

struct Retention {
  fs::path dir;
  std::vector<std::string> listed_first;  // the files the first day's playlist listed while recording
  fs::path first_playlist;
  Recording rec;
};

Retention run_retention(fs::path dir) {
  Retention r;
  r.dir = dir;
  // 10 s days, 2 s files of about 0.4 MB, at most 1.5 MiB: files of past days and of today go.
  Process p(recorder({"-v", "--segment-time", "2", "--max-size", "1536K", "-o", (dir / "r-%H%M%S.mp4").string(),
                      camera().url("h264")}),
            {{"CCTV_RECORD_DAY_SECONDS", "10"}});
  poll_until(60s, [&] { return playlists_below(dir).size() >= 1 && segments_now(dir) >= 2; });
  r.first_playlist = playlists_below(dir).front();
  for (const auto& e : parse(slurp(r.first_playlist)).entries) r.listed_first.push_back(e.uri);
  // Until the files of the first listing are gone, and some more.
  poll_until(60s, [&] {
    return !fs::exists(dir / r.listed_first.front()) && count(p.stderr_text(), "retention: deleted") >= 4;
  });
  stop(p, SIGTERM, r.rec);
  return r;
}

struct DayBoundary {
  fs::path dir;
  std::string old_text, new_text;  // the two playlists while still recording
  bool running_then = false;
  Recording rec;
};

DayBoundary run_day_boundary(fs::path dir) {
  DayBoundary d;
  d.dir = dir;
  Process p(recorder({"--segment-time", "2", "-o", (dir / "d-%H%M%S.mp4").string(), camera().url("h264")}),
            {{"CCTV_RECORD_DAY_SECONDS", "10"}});
  poll_until(60s, [&] {
    const auto lists = playlists_below(dir);
    return lists.size() >= 2 && segments_now(dir) >= 1 && parse(slurp(lists.front())).endlist;
  });
  d.running_then = p.running();
  const auto lists = playlists_below(dir);
  if (lists.size() >= 2) {
    d.old_text = slurp(lists[lists.size() - 2]);
    d.new_text = slurp(lists.back());
  }
  stop(p, SIGTERM, d.rec);
  return d;
}

struct Ts {
  fs::path dir;
  Recording rec;
};

Ts run_ts(fs::path dir) {
  Ts t;
  t.dir = dir;
  Process p(recorder({"--segment-time", "4", "-o", (dir / "t-%H%M%S.ts").string(), camera().url("h264")}));
  poll_until(60s, [&] { return segments_now(dir) >= 4; });
  stop(p, SIGTERM, t.rec);
  return t;
}

struct Scenarios {
  TempDir tmp;
  std::shared_future<Outage> outage;
  std::shared_future<Killed> killed;
  std::shared_future<Retention> retention;
  std::shared_future<DayBoundary> day;
  std::shared_future<Ts> ts;
};

Scenarios& scenarios() {
  static Scenarios* s = [] {
    camera();
    auto* sc = new Scenarios;
    const fs::path t = sc->tmp.path();
    auto go = [](auto f) { return std::async(std::launch::async, std::move(f)).share(); };
    sc->outage = go([t] { return run_outage(t / "outage"); });
    sc->killed = go([t] { return run_killed(t / "killed"); });
    sc->retention = go([t] { return run_retention(t / "retention"); });
    sc->day = go([t] { return run_day_boundary(t / "day"); });
    sc->ts = go([t] { return run_ts(t / "ts"); });
    return sc;
  }();
  return *s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(playlist)

BOOST_AUTO_TEST_CASE(outage_recording_plays_end_to_end_with_keyframe_ranges_and_tags_where_files_and_gap_are) {
  const Outage& o = scenarios().outage.get();
  BOOST_REQUIRE_MESSAGE(o.rec.exit_code == 0, o.rec.err);
  const auto lists = playlists_below(o.dir);
  BOOST_REQUIRE_EQUAL(lists.size(), 1u);  // (a run across midnight would make two)
  const Playlist p = parse(slurp(lists[0]));
  BOOST_TEST_MESSAGE(lists[0] << ":\n" << p.text);
  BOOST_TEST(p.type == "VOD");
  BOOST_TEST(p.endlist);
  BOOST_TEST((std::find(p.header.begin(), p.header.end(), "#EXT-X-VERSION:7") != p.header.end()));
  BOOST_TEST(decode_errors(lists[0]) == "");
  TempDir tmp;
  BOOST_TEST(check_ranges(lists[0].parent_path(), p, tmp.path()) == "");
  // Every file is listed, and each begins with DISCONTINUITY (but the first), MAP and PDT.
  std::vector<std::string> files;
  for (const auto& e : p.entries) {
    if (files.empty() || files.back() != e.uri) {
      files.push_back(e.uri);
      BOOST_TEST(e.discontinuity == (files.size() > 1), e.uri);
      BOOST_TEST(e.map.find("URI=\"" + e.uri + "\"") != std::string::npos, e.map);
      BOOST_TEST(!e.pdt.empty(), e.uri);
    } else {
      BOOST_TEST((!e.discontinuity && e.map.empty() && e.pdt.empty()), e.uri);
    }
    BOOST_TEST(std::lround(e.duration) <= p.target);
  }
  std::vector<std::string> on_disk;
  for (const auto& f : media_below(lists[0].parent_path(), ".mp4")) on_disk.push_back(f.filename().string());
  BOOST_TEST(files == on_disk, boost::test_tools::per_element());
  // The outage is the one gap between files: PDT of a file against the end of the one before.
  std::vector<double> gaps;
  double end = 0;
  for (const auto& e : p.entries) {
    if (!e.pdt.empty()) {
      if (end > 0) gaps.push_back(seconds_of(e.pdt) - end);
      end = seconds_of(e.pdt);
    }
    end += e.duration;
  }
  std::vector<double> big;
  for (double g : gaps) {
    BOOST_TEST(g > -0.2);
    if (g > 1.0) big.push_back(g);
  }
  BOOST_TEST_MESSAGE("outage " << o.down_for << " to " << o.outage << " s; gaps " << big.size());
  BOOST_REQUIRE_EQUAL(big.size(), 1u);
  BOOST_TEST(big[0] >= o.down_for - 1.0);
  BOOST_TEST(big[0] <= o.outage + 2.5 + kGop);
  // recordings.json: the same gap, the day's playlist.
  const json::value idx = json::parse(slurp(o.dir / "recordings.json"));
  const auto& days = idx.at("days").as_array();
  BOOST_REQUIRE_EQUAL(days.size(), 1u);
  BOOST_TEST(fs::equivalent(o.dir / json::value_to<std::string>(days[0].at("playlist")), lists[0]));
  BOOST_TEST(days[0].at("recording").as_bool() == false);
  const auto& jgaps = days[0].at("gaps").as_array();
  BOOST_REQUIRE_EQUAL(jgaps.size(), 1u);
  BOOST_TEST(std::abs(jgaps[0].at("duration").to_number<double>() - big[0]) < 0.01);
  BOOST_TEST(days[0].at("spans").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(target_duration_never_changes_and_the_day_is_event_while_recorded) {
  const Outage& o = scenarios().outage.get();
  BOOST_TEST_MESSAGE(o.versions << " versions read");
  BOOST_TEST(o.versions >= 5);
  BOOST_TEST((o.targets == std::set<int>{10}));
  BOOST_TEST((o.types == std::set<std::string>{"EVENT", "VOD"}));
}

BOOST_AUTO_TEST_CASE(sigkill_mid_gop_leaves_a_valid_playlist_and_a_restart_appends) {
  const Killed& k = scenarios().killed.get();
  BOOST_REQUIRE_MESSAGE(!k.killed_text.empty(), "no playlist: " << k.first.err);
  BOOST_TEST(k.first.exit_code == 128 + SIGKILL);
  const Playlist killed = parse(k.killed_text);
  BOOST_TEST(killed.type == "EVENT");
  BOOST_TEST(!killed.endlist);
  BOOST_TEST(killed.entries.size() >= 3u);
  TempDir tmp;
  BOOST_TEST(check_ranges(k.dir, killed, tmp.path()) == "");
  BOOST_TEST(decode_event_errors(k.playlist, k.killed_text) == "");
  // The restart goes on with the same playlist: what was listed stays, in order, then a new file.
  BOOST_REQUIRE_MESSAGE(k.second.exit_code == 0, k.second.err);
  const Playlist final = parse(slurp(k.playlist));
  BOOST_TEST_MESSAGE("after the restart:\n" << final.text);
  BOOST_REQUIRE(final.entries.size() > killed.entries.size());
  for (size_t i = 0; i < killed.entries.size(); ++i) {
    BOOST_TEST(final.entries[i].uri == killed.entries[i].uri);
    BOOST_TEST(final.entries[i].offset == killed.entries[i].offset);
    BOOST_TEST(final.entries[i].size == killed.entries[i].size);
  }
  const auto fresh = std::find_if(final.entries.begin(), final.entries.end(),
                                  [&](const Entry& e) { return e.uri != killed.entries.front().uri; });
  BOOST_REQUIRE(fresh != final.entries.end());
  BOOST_TEST(fresh->discontinuity);
  BOOST_TEST(!fresh->pdt.empty());
  BOOST_TEST(final.type == "VOD");
  BOOST_TEST(final.endlist);
  BOOST_TEST(check_ranges(k.dir, final, tmp.path()) == "");
  BOOST_TEST(decode_errors(k.playlist) == "");
}

BOOST_AUTO_TEST_CASE(max_size_retention_rewrites_the_playlists_and_recordings_json) {
  const Retention& r = scenarios().retention.get();
  BOOST_REQUIRE_MESSAGE(r.rec.exit_code == 0, r.rec.err);
  BOOST_TEST(count(r.rec.err, "retention: deleted") >= 3u, r.rec.err);
  BOOST_REQUIRE(!r.listed_first.empty());
  BOOST_TEST(!fs::exists(r.dir / r.listed_first.front()));
  // Every playlist lists only files that exist, and plays.
  std::set<std::string> listed;
  for (const auto& l : playlists_below(r.dir)) {
    BOOST_TEST_CONTEXT(l) {
      const Playlist p = parse(slurp(l));
      BOOST_TEST(!p.entries.empty());
      BOOST_TEST(p.endlist);
      for (const auto& e : p.entries) {
        BOOST_TEST(fs::exists(r.dir / e.uri), e.uri);
        listed.insert(e.uri);
      }
      BOOST_TEST(decode_errors(l) == "");
    }
  }
  // The first day either lost its playlist or lists what is left of it.
  if (fs::exists(r.first_playlist)) {
    for (const auto& e : parse(slurp(r.first_playlist)).entries) BOOST_TEST(fs::exists(r.dir / e.uri));
  }
  // Each file left is in a playlist.
  for (const auto& f : media_below(r.dir, ".mp4")) BOOST_TEST(listed.count(f.filename().string()) == 1u, f);
  // recordings.json names exactly the playlists there are.
  const json::value idx = json::parse(slurp(r.dir / "recordings.json"));
  std::vector<fs::path> named;
  for (const auto& d : idx.at("days").as_array()) named.push_back(r.dir / json::value_to<std::string>(d.at("playlist")));
  std::sort(named.begin(), named.end());
  BOOST_TEST(named == playlists_below(r.dir), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_day_boundary_turns_the_old_playlist_into_vod_with_endlist) {
  const DayBoundary& d = scenarios().day.get();
  BOOST_REQUIRE_MESSAGE(d.rec.exit_code == 0, d.rec.err);
  BOOST_REQUIRE_MESSAGE(!d.old_text.empty(), d.rec.err);
  BOOST_TEST(d.running_then);
  const Playlist old = parse(d.old_text), now = parse(d.new_text);
  BOOST_TEST(old.type == "VOD");
  BOOST_TEST(old.endlist);
  BOOST_TEST(now.type == "EVENT");
  BOOST_TEST(!now.endlist);
  BOOST_TEST(old.target == now.target);
  // After the stop, every day is VOD.
  for (const auto& l : playlists_below(d.dir)) BOOST_TEST(parse(slurp(l)).endlist, l);
}

BOOST_AUTO_TEST_CASE(mpeg_ts_recordings_get_a_playlist_without_map_that_plays) {
  const Ts& t = scenarios().ts.get();
  BOOST_REQUIRE_MESSAGE(t.rec.exit_code == 0, t.rec.err);
  const auto lists = playlists_below(t.dir);
  BOOST_REQUIRE(!lists.empty());
  const Playlist p = parse(slurp(lists.back()));
  BOOST_TEST(p.endlist);
  BOOST_TEST(p.text.find("#EXT-X-MAP") == std::string::npos);
  for (const auto& e : p.entries) {
    const std::string head = bytes_of(t.dir / e.uri, e.offset, 1);
    BOOST_TEST((head.size() == 1 && head[0] == 0x47), e.uri);  // a TS packet's sync byte
    BOOST_TEST(e.offset % 188 == 0);
  }
  BOOST_TEST(decode_errors(lists.back()) == "");
}

BOOST_AUTO_TEST_CASE(playlist_with_matroska_is_a_usage_error_naming_mp4_and_ts) {
  TempDir tmp;
  const RunResult r = run_tool({"cctv-record", "--playlist", "-o", (tmp.path() / "%H%M%S.mkv").string(),
                                camera().url("h264")}, 20s);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find(".mp4") != std::string::npos, r.err);
  BOOST_TEST(r.err.find(".ts") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
