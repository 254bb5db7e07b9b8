// SPDX-License-Identifier: MIT
// cctv-clip run as a user would, on recordings cctv-record makes from the camera fixture (and hand-made
// ones); clips checked with ffprobe and ffmpeg's framemd5.
//
// Two recorders (fMP4 and Matroska, 4 s segments, H.264 + G.711) run at once
// when the first test case needs them; while the fMP4 one writes its fourth
// file, that file is clipped. The cases then clip the finished files.
#define BOOST_TEST_MODULE clip_integration
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include <boost/json.hpp>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr double kFrame = 0.04;  // the fixture's 25 fps
constexpr const char* kNames = "%Y%m%d-%H%M%S";

Camera& camera() {
  static Camera cam;
  return cam;
}

RunResult clip(std::vector<std::string> args, const EnvChanges& env = {}) {
  args.insert(args.begin(), (bin_dir() / "cctv-clip").string());
  return run_tool(args, 60s, env);
}

// UTC seconds since the epoch as ISO 8601 with microseconds and Z.
std::string iso(double t) {
  const auto secs = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06ldZ", std::lround((t - static_cast<double>(secs)) * 1e6) % 1000000);
  return std::string(buf) + frac;
}

json::value probe(const fs::path& p, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{"ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(p.string());
  const RunResult r = run_tool(argv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "ffprobe " + p.string() + ": " + r.err);
  return json::parse(r.out);
}

double timegm_utc(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<double>(timegm(&tm));
}

double number(const json::value& v) { return std::stod(json::value_to<std::string>(v)); }

// The file's start (its first frame) as UTC seconds, read by ffprobe: the
// date tag where cctv-record's MP4 files keep the microseconds, else creation_time.
double creation_time_of(const fs::path& p) {
  const json::value v = probe(p);
  const auto& tags = v.at("format").at("tags").as_object();
  const std::string t = json::value_to<std::string>(tags.contains("date") ? tags.at("date") : tags.at("creation_time"));
  std::tm tm{};
  const char* rest = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  BOOST_REQUIRE(rest != nullptr);
  const double frac = *rest == '.' ? std::stod(std::string("0") + std::string(rest).substr(0, 7)) : 0.0;
  return static_cast<double>(timegm(&tm)) + frac;
}

// Video packets (presentation time, keyframe flag) in file order, by ffprobe.
struct Pkt {
  double pts;
  bool key;
};
std::vector<Pkt> video_packets(const fs::path& p, bool ignore_editlist = false) {
  std::vector<std::string> argv{"ffprobe", "-v", "error"};
  if (ignore_editlist) argv.insert(argv.end(), {"-ignore_editlist", "1"});
  argv.insert(argv.end(), {"-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", p.string()});
  const RunResult r = run_tool(argv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::vector<Pkt> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    out.push_back({std::stod(line.substr(0, comma)), line[comma + 1] == 'K'});
  }
  return out;
}

// The MD5 of each decoded video frame, in presentation order (ffmpeg framemd5).
std::vector<std::string> frame_md5s(const fs::path& p, bool ignore_editlist = false) {
  std::vector<std::string> argv{"ffmpeg", "-v", "error"};
  if (ignore_editlist) argv.insert(argv.end(), {"-ignore_editlist", "1"});
  argv.insert(argv.end(), {"-i", p.string(), "-map", "0:v:0", "-f", "framemd5", "-"});
  const RunResult r = run_tool(argv, 60s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::vector<std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line.substr(line.rfind(',') + 1));
  }
  return out;
}

// ffmpeg's complaints when decoding the whole file ("" when clean).
std::string decode_warnings(const fs::path& p) {
  const RunResult r = run_tool({"ffmpeg", "-v", "warning", "-i", p.string(), "-f", "null", "-"}, 60s);
  if (r.exit_code != 0) return "exit " + std::to_string(r.exit_code) + ": " + r.err;
  // G.711 in Matroska declares its channels, not their layout: a note about the input, not a fault.
  std::string out;
  std::istringstream in(r.err);
  for (std::string line; std::getline(in, line);) {
    if (line.find("Guessed Channel Layout") == std::string::npos) out += line + "\n";
  }
  return out;
}

// The duration of the clip's video as a player sees it (edit list applied).
double video_duration(const fs::path& p) {
  const auto v = probe(p, {"-select_streams", "v:0"});
  return number(v.at("streams").at(0).at("duration"));
}

// A recording run of cctv-record in the background.
struct Recorder {
  fs::path dir;
  Process proc;
  std::vector<fs::path> finished;  // paths it printed
  void start(const std::string& ext, const std::string& mount) {
    fs::create_directories(dir);
    proc.start({(bin_dir() / "cctv-record").string(), "--segment-time", "4", "-o",
                (dir / (std::string(kNames) + ext)).string(), camera().url(mount)});
  }
  void read_lines(std::chrono::milliseconds wait) {
    while (auto line = proc.read_line(wait)) {
      finished.emplace_back(*line);
      wait = 0ms;
    }
  }
  void stop() {
    proc.signal(SIGTERM);
    if (!proc.wait(30s)) proc.kill();
    read_lines(30s);  // returns at EOF: the bound is for a loaded machine draining the pipe
  }
  std::string pattern() const { return (dir / (std::string(kNames) + fs::path(finished.at(0)).extension().string())).string(); }
};

// What a clip of the file being written gave.
struct Growing {
  RunResult r;
  fs::path out;
  double growing_start = 0;   // creation_time of the file being written
  double complete_before = 0; // its complete seconds per --list just before
  bool grew_after = false;    // it was still being written after the clip
};

struct Runs {
  TempDir tmp;
  Recorder mp4{tmp.path() / "mp4", {}, {}};
  Recorder mkv{tmp.path() / "mkv", {}, {}};
  Growing growing;

  Runs() {
    camera();
    mp4.start(".mp4", "h264-pcma");
    mkv.start(".mkv", "h264-pcma");
    // Three finished files: a partial first one and two whole ones.
    const bool three = poll_until(60s, [&] {
      mp4.read_lines(0ms);
      return mp4.finished.size() >= 3;
    });
    BOOST_REQUIRE_MESSAGE(three, "cctv-record wrote no three files: " + mp4.proc.stderr_text());
    clip_growing();
    mp4.stop();
    mkv.stop();
    BOOST_REQUIRE_GE(mp4.finished.size(), 4u);
    BOOST_REQUIRE_GE(mkv.finished.size(), 3u);
  }

  // Waits until the file being written holds 1.5 to 2.5 s (per --list), then clips from a second
  // before it to now.
  void clip_growing() {
    const std::string pattern = (mp4.dir / (std::string(kNames) + ".mp4")).string();
    json::value last;
    const bool ready = poll_until(60s, [&] {
      const RunResult l = clip({"--list", "--json", pattern});
      if (l.exit_code != 0) return false;
      const json::value doc = json::parse(l.out);
      const auto& spans = doc.at("spans").as_array();
      if (spans.empty()) return false;
      last = spans.back().at("files").as_array().back();
      const fs::path path = json::value_to<std::string>(last.at("path"));
      const double len = creation_time_span(last);
      return std::find(mp4.finished.begin(), mp4.finished.end(), path) == mp4.finished.end() && len >= 1.5 &&
             len <= 2.5;
    }, 50ms);
    BOOST_REQUIRE_MESSAGE(ready, "the file being written never held 1.5 to 2.5 s");
    const fs::path path = json::value_to<std::string>(last.at("path"));
    growing.growing_start = creation_time_of(path);
    growing.complete_before = creation_time_span(last);
    const auto size_before = fs::file_size(path);
    growing.out = tmp.path() / "growing.mp4";
    growing.r = clip({"--from", iso(growing.growing_start - 1.0), "--to", "now", "-o", growing.out.string(), pattern});
    growing.grew_after = poll_until(30s, [&] { return fs::file_size(path) > size_before; });
  }

  static double creation_time_span(const json::value& file) {
    const auto seconds_of = [](const json::value& v) {
      // "2026-12-06T10:03:12.040+01:00": to the millisecond is enough here.
      const std::string t = json::value_to<std::string>(v);
      std::tm tm{};
      strptime(t.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
      return static_cast<double>(timegm(&tm)) + std::stod("0" + t.substr(19, 4));
    };
    return seconds_of(file.at("end")) - seconds_of(file.at("start"));
  }
};

Runs& runs() {
  static Runs r;
  return r;
}

// The whole files of the fMP4 recording (the first one is partial).
const std::vector<fs::path>& mp4_files() { return runs().mp4.finished; }

}  // namespace

BOOST_AUTO_TEST_CASE(clip_starting_mid_gop_shows_the_frame_at_from_first_and_hides_the_rest_by_edit_list) {
  const fs::path src = mp4_files().at(1);  // starts on a keyframe; GOP 2 s
  const double start = creation_time_of(src);
  const double from = start + 1.31;  // mid-GOP
  const fs::path out = runs().tmp.path() / "midgop.mp4";
  const RunResult r = clip({"--from", iso(from), "--duration", "2s", "-o", out.string(), runs().mp4.pattern()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("cut exact") != std::string::npos, r.err);
  // The source's frame at --from: the last one that starts at or before it.
  const auto src_pkts = video_packets(src);
  int shown = -1;
  for (size_t i = 0; i < src_pkts.size(); ++i) {
    if (start + src_pkts[i].pts <= from + 1e-6) shown = static_cast<int>(i);
  }
  BOOST_REQUIRE(shown > 0);
  const auto src_md5 = frame_md5s(src);
  const auto clip_md5 = frame_md5s(out);
  BOOST_REQUIRE(!clip_md5.empty());
  BOOST_TEST(clip_md5.front() == src_md5.at(static_cast<size_t>(shown)), "the first frame shown is the one at --from");
  // Without the edit list the frames from the keyframe are there.
  const auto raw_md5 = frame_md5s(out, true);
  BOOST_TEST(raw_md5.size() == clip_md5.size() + static_cast<size_t>(shown));
  BOOST_TEST(raw_md5.front() == src_md5.front(), "the hidden frames start at the keyframe");
  const auto raw_pkts = video_packets(out, true);
  BOOST_REQUIRE(!raw_pkts.empty());
  BOOST_TEST(raw_pkts.front().key);
  BOOST_TEST(slurp(out).find("elst") != std::string::npos);
  BOOST_TEST(std::abs(video_duration(out) - 2.0) <= kFrame + 0.001);
}

BOOST_AUTO_TEST_CASE(clip_across_three_files_plays_without_warnings_and_lasts_the_range) {
  const auto& f = mp4_files();
  const double from = creation_time_of(f.at(1)) + 2.51;
  const double to = creation_time_of(f.at(3)) + 1.0;  // in the fourth file: three files
  const fs::path out = runs().tmp.path() / "three.mp4";
  const RunResult r = clip({"--from", iso(from), "--to", iso(to), "-o", out.string(), runs().mp4.pattern()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("gap") == std::string::npos, r.err);
  BOOST_TEST(decode_warnings(out) == "");
  BOOST_TEST(std::abs(video_duration(out) - (to - from)) <= kFrame + 0.001, video_duration(out) << " vs " << to - from);
  // No frame lost or repeated: the clip's frames are a run of the sources' frames, in order.
  std::vector<std::string> sources;
  for (size_t i = 1; i <= 3; ++i) {
    const auto m = frame_md5s(f[i]);
    sources.insert(sources.end(), m.begin(), m.end());
  }
  const auto got = frame_md5s(out);
  BOOST_REQUIRE(!got.empty());
  const auto at = std::search(sources.begin(), sources.end(), got.begin(), got.end());
  BOOST_TEST((at != sources.end()), "the clip's " << got.size() << " frames are not a run of the sources' frames");
  // Audio: G.711 recorded as AAC in MP4, copied.
  const auto streams = probe(out).at("streams").as_array();
  BOOST_REQUIRE(streams.size() == 2u);
  BOOST_TEST(json::value_to<std::string>(streams[1].at("codec_name")) == "aac");
}

// A copy of the fMP4 recording without its third file, clipped across the hole.
struct Hole {
  TempDir dir;
  std::string pattern;
  double from = 0, to = 0, gap = 0;
  Hole() {
    const auto& f = mp4_files();
    for (const auto& p : f) fs::copy_file(p, dir.path() / p.filename());
    fs::remove(dir.path() / f.at(2).filename());
    pattern = (dir.path() / (std::string(kNames) + ".mp4")).string();
    from = creation_time_of(f.at(1)) + 1.0;
    to = creation_time_of(f.at(3)) + 1.0;
    gap = creation_time_of(f.at(3)) - creation_time_of(f.at(2));  // the deleted file's span, about 4 s
  }
};

BOOST_AUTO_TEST_CASE(deleted_middle_file_is_a_gap_kept_collapsed_or_refused) {
  Hole h;
  const fs::path keep = h.dir.path() / "keep.mp4", collapse = h.dir.path() / "collapse.mp4",
                 refuse = h.dir.path() / "fail.mp4";
  const RunResult k = clip({"--from", iso(h.from), "--to", iso(h.to), "-o", keep.string(), h.pattern});
  BOOST_REQUIRE_MESSAGE(k.exit_code == 0, k.err);
  BOOST_TEST(k.err.find("gap: no recording from") != std::string::npos, k.err);
  BOOST_TEST(std::abs(video_duration(keep) - (h.to - h.from)) <= kFrame + 0.001);
  BOOST_TEST(decode_warnings(keep) == "");

  const RunResult c = clip({"--gaps", "collapse", "--from", iso(h.from), "--to", iso(h.to), "-o", collapse.string(), h.pattern});
  BOOST_REQUIRE_MESSAGE(c.exit_code == 0, c.err);
  BOOST_TEST(c.err.find("gap: no recording from") != std::string::npos, c.err);
  BOOST_TEST(std::abs(video_duration(collapse) - (h.to - h.from - h.gap)) <= 2 * kFrame + 0.001,
             video_duration(collapse) << " vs " << h.to - h.from - h.gap);
  BOOST_TEST(decode_warnings(collapse) == "");

  const RunResult f = clip({"--gaps", "fail", "--from", iso(h.from), "--to", iso(h.to), "-o", refuse.string(), h.pattern});
  BOOST_TEST(f.exit_code == 5, f.err);
  BOOST_TEST(f.err.find("gap: no recording from") != std::string::npos, f.err);
  BOOST_TEST(!fs::exists(refuse));
}

BOOST_AUTO_TEST_CASE(clip_of_the_file_being_written_reaches_its_last_fragment) {
  const Growing& g = runs().growing;
  BOOST_REQUIRE_MESSAGE(g.r.exit_code == 0, g.r.err);
  BOOST_TEST(g.grew_after, "the file was still being written");
  // A second of the file before, and what the growing one held (at least what --list saw).
  BOOST_TEST(video_duration(g.out) >= 1.0 + g.complete_before - kFrame, video_duration(g.out));
  BOOST_TEST(decode_warnings(g.out) == "");
}

BOOST_AUTO_TEST_CASE(stdout_clip_is_fragmented_mp4_that_ffprobe_reads_from_a_pipe) {
  const double from = creation_time_of(mp4_files().at(1)) + 0.5;
  const std::string cmd = "set -o pipefail; \"$1\" --from \"$2\" --duration 3s -o - \"$3\" | ffprobe -v error -of json "
                          "-show_format -show_streams -count_frames -";
  const RunResult r = run_tool({"bash", "-c", cmd, "bash", (bin_dir() / "cctv-clip").string(), iso(from),
                                runs().mp4.pattern()}, 60s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const json::value v = json::parse(r.out);
  BOOST_TEST(json::value_to<std::string>(v.at("format").at("format_name")).find("mp4") != std::string::npos);
  const auto& video = v.at("streams").at(0);
  BOOST_TEST(json::value_to<std::string>(video.at("codec_name")) == "h264");
  BOOST_TEST(std::stol(json::value_to<std::string>(video.at("nb_read_frames"))) >= 75);
}

BOOST_AUTO_TEST_CASE(list_json_matches_the_files_on_disk) {
  const Recorder& rec = runs().mp4;
  const RunResult r = clip({"--list", "--json", rec.pattern()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const json::value v = json::parse(r.out);
  std::vector<std::string> listed;
  for (const auto& span : v.at("spans").as_array()) {
    for (const auto& f : span.at("files").as_array()) listed.push_back(json::value_to<std::string>(f.at("path")));
  }
  std::vector<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(rec.dir)) on_disk.push_back(e.path().string());
  std::sort(on_disk.begin(), on_disk.end());
  BOOST_TEST(listed == on_disk, boost::test_tools::per_element());
  BOOST_TEST(v.at("spans").as_array().size() == 1u);  // one recorder run: no gap
  BOOST_TEST(v.at("gaps").as_array().empty());
  // Text: one line for the span.
  const RunResult t = clip({"--list", rec.pattern()});
  BOOST_TEST(t.exit_code == 0);
  BOOST_TEST(count(t.out, "\n") == 1u, t.out);
}

BOOST_AUTO_TEST_CASE(mkv_clip_starts_on_a_keyframe_and_says_so_once) {
  const Recorder& rec = runs().mkv;
  const double from = creation_time_of(rec.finished.at(1)) + 1.31;
  const fs::path out = runs().tmp.path() / "clip.mkv";
  const RunResult r = clip({"--from", iso(from), "--duration", "2s", "-o", out.string(), rec.pattern()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(count(r.err, "keyframe at or before --from") == 1u, r.err);
  const auto pkts = video_packets(out);
  BOOST_REQUIRE(!pkts.empty());
  BOOST_TEST(pkts.front().key);
  BOOST_TEST(pkts.front().pts == 0.0);
  BOOST_TEST(decode_warnings(out) == "");
  // --cut exact cannot be had in Matroska.
  BOOST_TEST(clip({"--cut", "exact", "--from", iso(from), "--duration", "2s", "-o", out.string(), rec.pattern()}).exit_code == 2);
}

BOOST_AUTO_TEST_CASE(full_disk_is_exit_7_and_leaves_no_file) {
  BOOST_REQUIRE_MESSAGE(::geteuid() == 0, "the disk-full test mounts a tmpfs: run as root");
  const double from = creation_time_of(mp4_files().at(1));
  TempDir mnt;
  // A 256 KiB tmpfs in a private mount namespace; 4 s of the fixture need about 750 KB.
  const std::string script =
      "mount -t tmpfs -o size=256k tmpfs \"$1\" || exit 99; \"$2\" --from \"$3\" --duration 4s -o \"$1/clip.mp4\" \"$4\"; "
      "rc=$?; echo \"left: $(ls -A \"$1\")\"; exit $rc";
  const RunResult r = run_tool({"unshare", "--mount", "sh", "-c", script, "sh", mnt.path().string(),
                                (bin_dir() / "cctv-clip").string(), iso(from), runs().mp4.pattern()}, 60s);
  BOOST_REQUIRE_MESSAGE(r.exit_code != 99, "cannot mount a tmpfs: " + r.err);
  BOOST_TEST(r.exit_code == 7, r.err);
  BOOST_TEST(r.err.find("No space left on device") != std::string::npos, r.err);
  BOOST_TEST(r.out == "left: \n", r.out);
}

BOOST_AUTO_TEST_CASE(a_fifo_or_a_link_at_the_output_is_left_as_it_is) {
  const double from = creation_time_of(mp4_files().at(1));
  TempDir tmp;
  const fs::path fifo = tmp.path() / "clip.mp4";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const RunResult r = clip({"--from", iso(from), "--duration", "2s", "-o", fifo.string(), runs().mp4.pattern()});
  BOOST_TEST(r.exit_code == 7, r.err);
  BOOST_TEST(r.err.find("not a regular file") != std::string::npos, r.err);
  BOOST_TEST(fs::is_fifo(fs::symlink_status(fifo)));
  const fs::path target = tmp.path() / "target";
  write_file(target, "keep");
  const fs::path link = tmp.path() / "link.mp4";
  fs::create_symlink(target, link);
  const RunResult l = clip({"--from", iso(from), "--duration", "2s", "-o", link.string(), runs().mp4.pattern()});
  BOOST_TEST(l.exit_code == 7, l.err);
  BOOST_TEST(fs::is_symlink(fs::symlink_status(link)));
  BOOST_TEST(slurp(target) == "keep");
  // Nothing else was left in the folder: no temporary file.
  BOOST_TEST(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()) == 3);
}

BOOST_AUTO_TEST_CASE(range_without_recording_is_exit_5) {
  const RunResult r = clip({"--from", "2020-01-01T00:00:00Z", "--duration", "1m", "-o",
                            (runs().tmp.path() / "none.mp4").string(), runs().mp4.pattern()});
  BOOST_TEST(r.exit_code == 5, r.err);
  BOOST_TEST(r.err.find("no recording covers") != std::string::npos, r.err);
  BOOST_TEST(!fs::exists(runs().tmp.path() / "none.mp4"));
}

// --- Hand-made: the night clocks go back in Europe/Berlin ---------------------

// Two short fMP4 files named 02:30:00 local, the first at +02:00 and the
// second (the recorder's "-2" for a taken name) an hour later at +01:00.
BOOST_AUTO_TEST_CASE(ambiguous_from_on_the_night_clocks_go_back_is_exit_2_naming_both_readings) {
  TempDir dir;
  const EnvChanges berlin{{"TZ", "Europe/Berlin"}};
  const std::vector<std::pair<std::string, std::string>> files{
      {"20261025-023000.mp4", "2026-10-25T00:30:00.000000Z"}, {"20261025-023000-2.mp4", "2026-10-25T01:30:00.000000Z"}};
  for (const auto& [name, created] : files) {
    const RunResult g = run_tool({"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4",
                                  "-c:v", "libx264", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-movflags",
                                  "frag_keyframe+empty_moov+default_base_moof+use_metadata_tags", "-metadata",
                                  "creation_time=" + created, (dir.path() / name).string()}, 60s);
    BOOST_REQUIRE_MESSAGE(g.exit_code == 0, g.err);
  }
  const std::string pattern = (dir.path() / "%Y%m%d-%H%M%S.mp4").string();
  const fs::path out = dir.path() / "out.mp4";
  const RunResult amb = clip({"--from", "2026-10-25T02:30:01", "--duration", "2s", "-o", out.string(), pattern}, berlin);
  BOOST_TEST(amb.exit_code == 2, amb.err);
  BOOST_TEST(amb.err.find("2026-10-25T02:30:01+02:00") != std::string::npos, amb.err);
  BOOST_TEST(amb.err.find("2026-10-25T02:30:01+01:00") != std::string::npos, amb.err);
  BOOST_TEST(!fs::exists(out));
  // With an offset: the second 02:30, from the second file.
  const RunResult ok = clip({"--from", "2026-10-25T02:30:01+01:00", "--duration", "2s", "-o", out.string(), pattern}, berlin);
  BOOST_REQUIRE_MESSAGE(ok.exit_code == 0, ok.err);
  BOOST_TEST(std::abs(creation_time_of(out) - (timegm_utc(2026, 10, 25, 1, 30, 1))) < kFrame);
  BOOST_TEST(std::abs(video_duration(out) - 2.0) <= kFrame + 0.001);
  // Listed as two spans with the gap between them, in local time with offsets.
  const RunResult l = clip({"--list", pattern}, berlin);
  BOOST_TEST(l.out.find("2026-10-25T02:30:00.000+02:00") != std::string::npos, l.out);
  BOOST_TEST(l.out.find("2026-10-25T02:30:00.000+01:00") != std::string::npos, l.out);
  BOOST_TEST(l.out.find("gap") != std::string::npos, l.out);
}

// A hand-made Matroska file with G.711 (as cctv-record keeps it in MKV):
// copied into MKV, AAC in MP4, left out with --no-audio.
BOOST_AUTO_TEST_CASE(g711_is_copied_into_mkv_becomes_aac_in_mp4_and_no_audio_leaves_it_out) {
  TempDir dir;
  const RunResult g = run_tool({"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi",
                                "-i", "sine=frequency=440:sample_rate=8000", "-t", "4", "-c:v", "libx264", "-g", "25",
                                "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", "pcm_alaw", "-metadata",
                                "creation_time=2026-12-06T09:00:00.120000Z", (dir.path() / "cam-20261206-100000.mkv").string()},
                               60s);
  BOOST_REQUIRE_MESSAGE(g.exit_code == 0, g.err);
  const std::string pattern = (dir.path() / "cam-%Y%m%d-%H%M%S.mkv").string();
  const EnvChanges berlin{{"TZ", "Europe/Berlin"}};
  const auto codecs = [](const fs::path& p) {
    std::vector<std::string> out;
    const json::value v = probe(p);
    for (const auto& st : v.at("streams").as_array()) out.push_back(json::value_to<std::string>(st.at("codec_name")));
    return out;
  };
  const fs::path mkv = dir.path() / "a.mkv", mp4 = dir.path() / "a.mp4", mute = dir.path() / "mute.mp4";
  BOOST_REQUIRE(clip({"--from", "10:00:01", "--duration", "2s", "-o", mkv.string(), pattern}, berlin).exit_code != 0);
  // 10:00:01 is today's; give the date.
  const RunResult a = clip({"--from", "2026-12-06T10:00:01", "--duration", "2s", "-o", mkv.string(), pattern}, berlin);
  BOOST_REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  BOOST_TEST((codecs(mkv) == std::vector<std::string>{"h264", "pcm_alaw"}));
  const RunResult b = clip({"--from", "2026-12-06T10:00:01", "--duration", "2s", "-o", mp4.string(), pattern}, berlin);
  BOOST_REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  BOOST_TEST((codecs(mp4) == std::vector<std::string>{"h264", "aac"}));
  BOOST_TEST(decode_warnings(mp4) == "");
  const RunResult c = clip({"--no-audio", "--from", "2026-12-06T10:00:01", "--duration", "2s", "-o", mute.string(), pattern}, berlin);
  BOOST_REQUIRE_MESSAGE(c.exit_code == 0, c.err);
  BOOST_TEST((codecs(mute) == std::vector<std::string>{"h264"}));
  // Partly recorded: what exists, and a warning with the actual range.
  const fs::path part = dir.path() / "part.mp4";
  const RunResult p = clip({"--from", "2026-12-06T09:59:58", "--duration", "4s", "-o", part.string(), pattern}, berlin);
  BOOST_REQUIRE_MESSAGE(p.exit_code == 0, p.err);
  BOOST_TEST(p.err.find("only partly recorded: 2026-12-06T10:00:00.120+01:00 to 2026-12-06T10:00:02.000+01:00") !=
                 std::string::npos, p.err);
  BOOST_TEST(std::abs(video_duration(part) - 1.88) <= kFrame + 0.001);
}

// A camera whose picture size changed between two files: the clip cannot
// be one stream copy (exit 6, nothing written); each side alone can.
BOOST_AUTO_TEST_CASE(video_that_changes_within_the_range_is_exit_6) {
  TempDir dir;
  const std::vector<std::tuple<std::string, std::string, std::string>> files{
      {"v-20261206-090000.mp4", "320x240", "2026-12-06T09:00:00.000000Z"},
      {"v-20261206-090004.mp4", "640x480", "2026-12-06T09:00:04.000000Z"}};
  for (const auto& [name, size, created] : files) {
    const RunResult g = run_tool({"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=25",
                                  "-t", "4", "-c:v", "libx264", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-movflags",
                                  "frag_keyframe+empty_moov+default_base_moof+use_metadata_tags", "-metadata",
                                  "creation_time=" + created, (dir.path() / name).string()}, 60s);
    BOOST_REQUIRE_MESSAGE(g.exit_code == 0, g.err);
  }
  const std::string pattern = (dir.path() / "v-%Y%m%d-%H%M%S.mp4").string();
  const fs::path out = dir.path() / "out.mp4";
  const RunResult r = clip({"--from", "2026-12-06T09:00:02Z", "--to", "2026-12-06T09:00:06Z", "-o", out.string(), pattern});
  BOOST_TEST(r.exit_code == 6, r.err);
  BOOST_TEST(r.err.find("the video changes at") != std::string::npos, r.err);
  BOOST_TEST(!fs::exists(out));
  for (const auto& e : fs::directory_iterator(dir.path())) {
    BOOST_TEST(e.path().filename().string()[0] != '.', "temporary file left: " << e.path());
  }
  BOOST_TEST(clip({"--from", "2026-12-06T09:00:04Z", "--to", "2026-12-06T09:00:06Z", "-o", out.string(), pattern}).exit_code == 0);
}
