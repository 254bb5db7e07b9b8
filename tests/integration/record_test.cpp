// SPDX-License-Identifier: MIT
// cctv-record run as a user would, against the camera fixture; files checked with ffprobe/ffmpeg.
//
// The long scenarios (20 s recordings, an outage, retention, a full disk)
// all start at once when the first test case needs them and run
// concurrently, each on its own thread; the test cases then check one
// scenario's results each. Wall time is that of the longest scenario plus
// the checks.
#define BOOST_TEST_MODULE record_integration
#include <boost/test/unit_test.hpp>

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <charconv>
#include <csignal>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <regex>
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

// One recorder run: what it printed, its status, how long it ran.
struct Recording {
  int exit_code = -1;
  std::vector<std::string> lines;  // stdout
  std::string err;
  double seconds = 0;  // start to the stop signal
  double stopped = 0;  // the stop signal's wall-clock time, seconds since the epoch
};

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Sends `sig` to a running cctv-record (SIGKILL if it has not exited 20 s
// later) and collects its status, stdout lines and stderr into `r`.
void stop_and_collect(Process& p, int sig, Recording& r) {
  p.signal(sig);
  r.exit_code = p.wait(20s).value_or(-1);
  if (r.exit_code == -1) r.exit_code = p.kill();
  while (auto line = p.read_line(1s)) r.lines.push_back(*line);  // already written: the child has exited
  r.err = p.stderr_text();
}

// Runs cctv-record with `args` for `run_for`, calling `during` (if any) right
// after the start, then sends `sig` and collects everything.
Recording record(std::vector<std::string> args, std::chrono::milliseconds run_for, int sig = SIGTERM,
                 const std::function<void()>& during = {}) {
  args.insert(args.begin(), (bin_dir() / "cctv-record").string());
  const auto start = std::chrono::steady_clock::now();
  Process p(args);
  if (during) during();
  std::this_thread::sleep_until(start + run_for);
  Recording r;
  r.seconds = since(start);
  r.stopped = wall_now();
  stop_and_collect(p, sig, r);
  return r;
}

// Files below `dir` (recursively), sorted.
std::vector<fs::path> files_below(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ffprobe's view of a file (format and streams), or a null value when it fails.
json::value probe(const fs::path& p) {
  const RunResult r = run_tool({"ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", p.string()});
  if (r.exit_code != 0) return nullptr;
  return json::parse(r.out);
}

double duration_of(const json::value& v) {
  return std::stod(json::value_to<std::string>(v.at("format").at("duration")));
}

std::vector<std::string> codecs_of(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.at("streams").as_array()) out.push_back(json::value_to<std::string>(s.at("codec_name")));
  return out;
}

// creation_time from the file's metadata, as seconds since the epoch (UTC).
double creation_time_of(const json::value& v) {
  const std::string t = json::value_to<std::string>(v.at("format").at("tags").at("creation_time"));
  std::tm tm{};
  const char* rest = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  BOOST_REQUIRE(rest != nullptr);
  const double frac = *rest == '.' ? std::stod(std::string("0") + std::string(rest).substr(0, 7)) : 0.0;
  return static_cast<double>(timegm(&tm)) + frac;
}

// Decodes every frame with ffmpeg: "" when it plays cleanly, else ffmpeg's complaint.
std::string decode_errors(const fs::path& p) {
  const RunResult r = run_tool({"ffmpeg", "-v", "error", "-i", p.string(), "-f", "null", "-"}, 60s);
  if (r.exit_code != 0) return "exit " + std::to_string(r.exit_code) + ": " + r.err;
  return r.err;
}

// Frames ffprobe decodes in the first video stream (tolerates a cut-off tail).
long frames_of(const fs::path& p) {
  const RunResult r = run_tool({"ffprobe", "-v", "quiet", "-select_streams", "v:0", "-count_frames", "-show_entries",
                                "stream=nb_read_frames", "-of", "csv=p=0", p.string()}, 60s);
  long n = -1;  // "N/A" for a file without a frame
  std::from_chars(r.out.data(), r.out.data() + r.out.size(), n);
  return r.exit_code == 0 ? n : -1;
}

// The first stream whose DTS does not strictly increase, as text; "" when all do.
std::string non_monotonic(const fs::path& p) {
  const RunResult r = run_tool({"ffprobe", "-v", "error", "-show_entries", "packet=stream_index,dts", "-of", "csv=p=0",
                                p.string()});
  if (r.exit_code != 0) return "ffprobe failed: " + r.err;
  std::map<int, long long> last;
  std::istringstream in(r.out);
  std::string line;
  long n = 0;
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    const int stream = std::stoi(line.substr(0, comma));
    const long long dts = std::stoll(line.substr(comma + 1));
    if (last.count(stream) && dts <= last[stream]) {
      return "stream " + std::to_string(stream) + ": dts " + std::to_string(dts) + " after " + std::to_string(last[stream]);
    }
    last[stream] = dts;
    ++n;
  }
  return n > 0 ? "" : "no packets";
}

// An empty file of `size` bytes with the given age.
void make_file(const fs::path& p, std::size_t size, std::chrono::seconds age) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << std::string(size, 'x');
  fs::last_write_time(p, fs::file_time_type::clock::now() - age);
}

// A small tmpfs mounted for one scenario (the test runs as root).
class Tmpfs {
 public:
  Tmpfs(const fs::path& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir_);
    const std::string opts = "size=" + size;
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      throw std::runtime_error("cannot mount a " + size + " tmpfs on " + dir_.string() + " (" + std::strerror(errno) +
                               "): the disk-full and --min-free tests need root");
    }
  }
  ~Tmpfs() { ::umount2(dir_.c_str(), MNT_DETACH); }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

 private:
  fs::path dir_;
};

double free_percent(const fs::path& p) {
  struct statvfs st {};
  BOOST_REQUIRE(::statvfs(p.c_str(), &st) == 0);
  return 100.0 * static_cast<double>(st.f_bavail) / static_cast<double>(st.f_blocks);
}

// --- The scenarios, run concurrently -----------------------------------------

struct Basic {  // 20 s of 4 s MP4 segments with G.711 -> AAC and a hook
  fs::path dir;
  Recording rec;
};

struct Killed {  // SIGKILL 4.5 s after the file appeared
  fs::path file;  // the one being written at the kill: the newest
  // Every segment of the run, sorted by name (time): two when the run
  // straddled a minute, where --segment-time 60 starts a new file.
  std::vector<fs::path> files;
  double alive_after_file = 0;
  // Video frames that reached this machine (a second client of the same
  // camera saw them) after the first file appeared and more than kKillLoss
  // before the kill: the files must hold them all.
  long arrived_before_loss = 0;
  Recording rec;
};

// What a SIGKILL may cost: a fragment is written once the frame a second
// after its first has arrived (1 s plus a frame), and a loaded machine may
// hold the recorder back a little (tests/perf/record-lag measures both).
constexpr double kKillLoss = 1.5;

struct Outage {  // a 5 s camera outage while recording Matroska
  fs::path dir;
  double down_for = 0;  // from the camera's stop to the call that restarts it
  double outage = 0;    // from the camera's stop to its restart's return
  std::string url;
  Recording rec;
};

struct Retention {  // the recorder started on a folder prepared with old files
  fs::path dir;
  Recording rec;
};

struct FailingHook {
  fs::path dir;
  Recording rec;
};

// This camera's old segments among files that only look like them (issue:
// never delete what we did not write). Paths relative to the scenario's folder;
// the segments go to rec/, with --name a.b and the pattern kDecoyPattern.
constexpr const char* kDecoyPattern = "rec/{name}-%a-%H%M%S.mkv";
const std::vector<std::string> kDecoyReal{"rec/a.b-Mon-120000.mkv", "rec/a.b-Tue-000000-2.mkv",
                                          "rec/a.b-Sun-235959.mkv"};
const std::vector<std::string> kDecoyFiles{
    "rec/a.b-Mon-1200000.mkv",              // a digit too many
    "rec/a.b-Mon-0000001.mkv",
    "rec/a.b-my-wedding-video-120000.mkv",  // not a day's name
    "rec/a.b-Mox-120000.mkv",
    "rec/a.b-Mon-120000.mp4",               // another extension
    "rec/axb-Mon-120000.mkv",               // another literal ('.' is no wildcard)
    "rec/a.b-Mon-120000-1.mkv",             // not a suffix the recorder adds
    "a.b-Mon-120000.mkv",                   // the parent folder
    "outside/a.b-Wed-120000.mkv",           // a link's target
};
constexpr const char* kDecoyLink = "rec/a.b-Wed-120000.mkv";  // -> outside/a.b-Wed-120000.mkv

struct Decoys {
  fs::path dir;
  Recording rec;
};

struct NoKeyframe {  // a camera whose video never brings a keyframe
  fs::path dir;
  Recording rec;
};

struct Scenarios {
  TempDir tmp;
  std::shared_future<Basic> basic;
  std::shared_future<Killed> killed;
  std::shared_future<Outage> outage;
  std::shared_future<Retention> keep, max_size, min_free, disk_full;
  std::shared_future<FailingHook> failing_hook;
  std::shared_future<NoKeyframe> no_keyframe;
  std::shared_future<Decoys> decoys_keep, decoys_max_size;
  std::string mount_error;
};

std::string url(const char* mount) { return camera().url(mount); }

Basic run_basic(fs::path dir) {
  const std::string hook = "printf '%s\\n' >> " + (dir / "hook.log").string();  // the path follows as $1
  Basic b{dir, {}};
  b.rec = record({"--segment-time", "4", "--name", "front", "--on-segment", hook, "-o",
                  (dir / "{name}/%Y-%m-%d/%H-%M-%S.mp4").string(), url("h264-pcma")},
                 20s);
  return b;
}

Killed run_killed(fs::path dir) {
  using Steady = std::chrono::steady_clock;
  Killed k;
  // Its own camera: its packets must not wait behind the eight other
  // recordings of the shared one.
  Camera cam;
  // The time each video frame reaches this machine, as FFmpeg's own client
  // sees it: framecrc writes a line per packet at once. Under load a camera
  // starved of CPU can be late for every client: the recorder is judged on
  // what arrived, not on the wall clock.
  Process ref({"ffmpeg", "-v", "error", "-analyzeduration", "0", "-probesize", "32", "-rtsp_transport", "tcp", "-i",
               cam.url("h264"), "-map", "0:v", "-c", "copy", "-f", "framecrc", "-flush_packets", "1", "-"});
  // A thread of its own stamps each line as it comes: a poll loop that fell
  // behind on a loaded machine would stamp frames late.
  std::mutex mu;
  std::vector<Steady::time_point> arrivals;
  std::jthread stamper([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (auto line = ref.read_line(50ms); line && !line->starts_with("#")) {
        const auto now = Steady::now();
        std::lock_guard lock(mu);
        arrivals.push_back(now);
      }
    }
  });
  const auto arrived = [&] {
    std::lock_guard lock(mu);
    return arrivals.size();
  };
  poll_until(30s, [&] { return arrived() > 0; }, 10ms);
  Process p({(bin_dir() / "cctv-record").string(), "-v", "--segment-time", "60", "-o", (dir / "k-%H%M%S.mp4").string(),
             cam.url("h264")});
  // The segment itself, not the recorder's brief write check (a dot file).
  const auto segment = [&]() -> fs::path {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().filename().string().starts_with("k-")) return e.path();
    }
    return {};
  };
  poll_until(60s, [&] { return !segment().empty(); }, 10ms);
  const auto appeared = Steady::now();
  std::this_thread::sleep_until(appeared + 4500ms);
  const auto killed = Steady::now();
  k.rec.exit_code = p.kill();
  stamper.request_stop();
  stamper.join();
  k.alive_after_file = std::chrono::duration<double>(killed - appeared).count();
  const auto loss_from = killed - std::chrono::milliseconds(static_cast<long>(kKillLoss * 1000));
  k.arrived_before_loss = std::count_if(arrivals.begin(), arrivals.end(),
                                        [&](Steady::time_point t) { return t > appeared && t <= loss_from; });
  k.rec.err = p.stderr_text();
  for (const auto& f : files_below(dir)) {
    if (f.filename().string().starts_with("k-")) k.files.push_back(f);
  }
  if (!k.files.empty()) k.file = k.files.back();
  return k;
}

Outage run_outage(fs::path dir) {
  Outage o{dir, 0, 0, {}, {}};
  Camera cam;  // its own camera: stopping it must not disturb the other scenarios
  o.url = cam.url("h264-pcma");
  const auto file_count = [&dir] {
    std::error_code ec;
    return fs::exists(dir, ec) ? files_below(dir).size() : 0u;
  };
  // Each step waits for what it needs, however slow a loaded machine makes
  // the recorder's start, the camera's restart or the reconnection.
  o.rec = record({"--segment-time", "60", "-o", (dir / "o-%H%M%S.mkv").string(), o.url}, 0s, SIGTERM, [&] {
    poll_until(60s, [&] { return file_count() >= 1; });
    std::this_thread::sleep_for(3s);
    const auto down = std::chrono::steady_clock::now();
    cam.stop();
    std::this_thread::sleep_until(down + 5s);
    o.down_for = since(down);  // surely down this long
    cam.start();
    o.outage = since(down);    // listening again at most this late
    poll_until(60s, [&] { return file_count() >= 2; });
    std::this_thread::sleep_for(3s);
  });
  return o;
}

Retention run_keep(fs::path dir) {
  // This camera's old segments, a recent one, and things that are not its segments.
  make_file(dir / "front/2020-01-01/00-00-00.mp4", 1000, 50000h);
  make_file(dir / "front/2020-01-01/notes.txt", 1000, 50000h);
  make_file(dir / "front/2020-01-02/00-10-00.mp4", 1000, 49000h);
  make_file(dir / "front/2020-01-02/00-20-00-2.mp4", 1000, 49000h);
  make_file(dir / "front/2020-01-03/12-00-00.mp4", 1000, 30min);
  make_file(dir / "back/2020-01-01/00-00-00.mp4", 1000, 50000h);
  make_file(dir / "front/2020-01-01/00-00-00.mp4.bak", 1000, 50000h);
  Retention r{dir, {}};
  r.rec = record({"--keep", "1h", "--name", "front", "--segment-time", "60", "-o",
                  (dir / "{name}/%Y-%m-%d/%H-%M-%S.mp4").string(), url("h264")},
                 4s);
  return r;
}

// The i-th old segment of run_max_size (cam-%Y%m%d%H%M%S.mp4), i from 0 to 9.
std::string max_size_name(int i) { return "cam-202001" + std::to_string(10 + i) + "000000.mp4"; }

Retention run_max_size(fs::path dir) {
  for (int i = 0; i < 10; ++i) make_file(dir / max_size_name(i), 1 << 20, std::chrono::hours(20 - i));
  make_file(dir / "cam-backup.mp4", 3 << 20, 100h);  // not a name the pattern makes
  Retention r{dir, {}};
  r.rec = record({"--max-size", "4M", "--segment-time", "60", "-o", (dir / "cam-%Y%m%d%H%M%S.mp4").string(),
                  url("h264")},
                 4s);
  return r;
}

Retention run_min_free(fs::path dir, std::string& mount_error) {
  Retention r{dir, {}};
  try {
    Tmpfs fs16(dir, "16m");
    make_file(dir / "filler.bin", 8 << 20, 100h);
    for (int i = 0; i < 6; ++i) make_file(dir / ("seg-00000" + std::to_string(i) + ".ts"), 1 << 20, std::chrono::hours(20 - i));
    r.rec = record({"--min-free", "30", "--segment-time", "60", "-o", (dir / "seg-%H%M%S.ts").string(), url("h264")}, 4s);
    // Copy the outcome out before the tmpfs goes.
    fs::create_directories(dir.string() + ".after");
    for (const auto& f : files_below(dir)) fs::copy_file(f, fs::path(dir.string() + ".after") / f.filename());
    std::ofstream(fs::path(dir.string() + ".after") / "free-percent") << free_percent(dir);
  } catch (const std::exception& e) {
    mount_error = e.what();
  }
  r.dir = dir.string() + ".after";
  return r;
}

Retention run_disk_full(fs::path dir, std::string& mount_error) {
  Retention r{dir, {}};
  try {
    Tmpfs small(dir, "3m");
    make_file(dir / "filler.bin", 1 << 20, 100h);
    make_file(dir / "full-000001.mp4", 512 << 10, 20h);
    make_file(dir / "full-000002.mp4", 512 << 10, 19h);
    r.rec = record({"--segment-time", "60", "-o", (dir / "full-%H%M%S.mp4").string(), url("h264")}, 16s);
    fs::create_directories(dir.string() + ".after");
    for (const auto& f : files_below(dir)) fs::copy_file(f, fs::path(dir.string() + ".after") / f.filename());
  } catch (const std::exception& e) {
    mount_error = e.what();
  }
  r.dir = dir.string() + ".after";
  return r;
}

// Old segments and decoys (all 50000 h old), then 4 s of recording with `limit`.
Decoys run_decoys(fs::path dir, std::vector<std::string> limit) {
  for (const auto& f : kDecoyReal) make_file(dir / f, 1000, 50000h);
  for (const auto& f : kDecoyFiles) make_file(dir / f, 1000, 50000h);
  fs::create_symlink(dir / "outside/a.b-Wed-120000.mkv", dir / kDecoyLink);
  Decoys d{dir, {}};
  limit.insert(limit.end(), {"--name", "a.b", "--segment-time", "60", "-o", (dir / kDecoyPattern).string(),
                             url("h264")});
  d.rec = record(limit, 4s);
  return d;
}

FailingHook run_failing_hook(fs::path dir) {
  FailingHook h{dir, {}};
  h.rec = record({"--segment-time", "2", "--on-segment", "exit 3", "-o", (dir / "h-%H%M%S.mp4").string(), url("h264")},
                 11s);
  return h;
}

constexpr std::string_view kNoKeyframeRetry = "no keyframe within 9 s; retrying";

NoKeyframe run_no_keyframe(fs::path dir) {
  NoKeyframe n{dir, {}};
  // 3 s stall timeout: no keyframe for 9 s ends a connection (with 1 s, a
  // loaded machine's pause between packets ended it first as a timeout).
  Process p({(bin_dir() / "cctv-record").string(), "--stall-timeout", "3", "-vv", "-o",
             (dir / "n-%H%M%S.mp4").string(), url("no-keyframe")});
  // Two connections without a keyframe: about 19 s.
  poll_until(60s, [&] { return count(p.stderr_text(), kNoKeyframeRetry) >= 2; });
  stop_and_collect(p, SIGTERM, n.rec);
  return n;
}

Scenarios& scenarios() {
  static Scenarios* s = [] {
    camera();  // started by this (long-lived) thread, not by a scenario's
    auto* sc = new Scenarios;
    const fs::path t = sc->tmp.path();
    auto go = [](auto f) { return std::async(std::launch::async, std::move(f)).share(); };
    sc->basic = go([t] { return run_basic(t / "basic"); });
    sc->killed = go([t] { return run_killed(t / "killed"); });
    sc->outage = go([t] { return run_outage(t / "outage"); });
    sc->keep = go([t] { return run_keep(t / "keep"); });
    sc->max_size = go([t] { return run_max_size(t / "max-size"); });
    sc->min_free = go([t, sc] { return run_min_free(t / "min-free", sc->mount_error); });
    sc->disk_full = go([t, sc] { return run_disk_full(t / "disk-full", sc->mount_error); });
    sc->failing_hook = go([t] { return run_failing_hook(t / "failing-hook"); });
    sc->no_keyframe = go([t] { return run_no_keyframe(t / "no-keyframe"); });
    sc->decoys_keep = go([t] { return run_decoys(t / "decoys-keep", {"--keep", "1s"}); });
    sc->decoys_max_size = go([t] { return run_decoys(t / "decoys-max-size", {"--max-size", "1"}); });
    return sc;
  }();
  return *s;
}

std::string names(const std::vector<fs::path>& files) {
  std::string out;
  for (const auto& f : files) out += f.filename().string() + " ";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record)

BOOST_AUTO_TEST_CASE(segments_of_4s_have_the_pattern_names_play_and_cover_the_run) {
  const Basic& b = scenarios().basic.get();
  BOOST_REQUIRE_MESSAGE(b.rec.exit_code == 0, b.rec.err);
  const auto files = files_below(b.dir / "front");
  BOOST_TEST_MESSAGE("basic: " << files.size() << " segments over " << b.rec.seconds << " s");
  BOOST_REQUIRE(files.size() >= 5u);
  // stdout listed each file once, in order.
  std::vector<std::string> listed = b.rec.lines;
  BOOST_TEST(std::set<std::string>(listed.begin(), listed.end()).size() == listed.size());
  std::vector<std::string> expected;
  for (const auto& f : files) expected.push_back(f.string());
  std::sort(listed.begin(), listed.end());
  BOOST_TEST(listed == expected, boost::test_tools::per_element());
  const std::regex name(R"(.*/front/\d{4}-\d{2}-\d{2}/\d{2}-\d{2}-\d{2}\.mp4)");
  double total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    BOOST_TEST_CONTEXT(files[i]) {
      BOOST_TEST(std::regex_match(files[i].string(), name));
      const json::value v = probe(files[i]);
      BOOST_REQUIRE(!v.is_null());
      BOOST_TEST((codecs_of(v) == std::vector<std::string>{"h264", "aac"}));
      const double d = duration_of(v);
      total += d;
      // The first and the last segment are cut by the start and the stop.
      if (i > 0 && i + 1 < files.size()) BOOST_TEST(std::abs(d - 4.0) <= kGop);
      BOOST_TEST(decode_errors(files[i]) == "");
      BOOST_TEST(non_monotonic(files[i]) == "");
    }
  }
  // Every frame from the first keyframe to the stop: the span from the first
  // file's creation_time (when its keyframe arrived) to the stop signal.
  // Connecting and the keyframe wait, however long a loaded machine makes
  // them, are before it. A second: the camera fixture, starved of CPU beside
  // the sanitized tools of the ASan pass, can be half a second late for
  // every client.
  const double span = b.rec.stopped - creation_time_of(probe(files.front()));
  BOOST_TEST_MESSAGE("recorded " << total << " s of a " << span << " s span");
  BOOST_TEST(total >= span - 1.0);
  BOOST_TEST(total <= span + 0.5);
}

BOOST_AUTO_TEST_CASE(segments_after_the_first_start_on_wall_clock_boundaries) {
  const Basic& b = scenarios().basic.get();
  const auto files = files_below(b.dir / "front");
  BOOST_REQUIRE(files.size() >= 3u);
  for (size_t i = 1; i < files.size(); ++i) {
    const int secs = std::stoi(files[i].stem().string().substr(6, 2));
    BOOST_TEST(secs % 4 == 0, files[i]);
  }
}

BOOST_AUTO_TEST_CASE(on_segment_runs_once_per_segment_with_its_path) {
  const Basic& b = scenarios().basic.get();
  std::istringstream log(slurp(b.dir / "hook.log"));
  std::vector<std::string> hooked;
  for (std::string line; std::getline(log, line);) hooked.push_back(line);
  std::vector<std::string> listed = b.rec.lines;
  std::sort(hooked.begin(), hooked.end());
  std::sort(listed.begin(), listed.end());
  BOOST_TEST(hooked == listed, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sigterm_finalizes_the_last_segment) {
  const Basic& b = scenarios().basic.get();
  BOOST_REQUIRE(!b.rec.lines.empty());
  const fs::path last = b.rec.lines.back();
  // A finalized fragmented MP4 ends with its fragment index (mfra, closed by mfro).
  const std::string bytes = slurp(last);
  BOOST_REQUIRE(bytes.size() > 16);
  BOOST_TEST(bytes.substr(bytes.size() - 12, 4) == "mfro");
  BOOST_TEST(decode_errors(last) == "");
}

BOOST_AUTO_TEST_CASE(sigkill_mid_segment_leaves_an_mp4_that_plays_up_to_a_second_before) {
  const Killed& k = scenarios().killed.get();
  BOOST_REQUIRE_MESSAGE(!k.file.empty(), "no file appeared: " + k.rec.err);
  BOOST_TEST(k.rec.exit_code == 128 + SIGKILL);
  const json::value v = probe(k.file);
  BOOST_REQUIRE(!v.is_null());
  long frames = 0;
  for (const auto& f : k.files) frames += frames_of(f);
  BOOST_TEST_MESSAGE(k.file << " killed " << k.alive_after_file << " s after the first file appeared; it holds " << duration_of(v)
                               << " s; the run's files hold " << frames << " frames; " << k.arrived_before_loss
                               << " frames had arrived by " << kKillLoss << " s before the kill");
  BOOST_TEST(k.arrived_before_loss >= 25);  // the camera did send (3 s at 25 fps, however late)
  BOOST_TEST(frames >= k.arrived_before_loss, "files: " << names(files_below(k.file.parent_path())) << "; stderr:\n"
                                                      << k.rec.err);
  for (const auto& f : k.files) BOOST_TEST(decode_errors(f) == "", f);
}

BOOST_AUTO_TEST_CASE(camera_outage_of_5s_gives_one_gap_of_about_5s_and_no_corrupt_file) {
  const Outage& o = scenarios().outage.get();
  BOOST_REQUIRE_MESSAGE(o.rec.exit_code == 0, o.rec.err);
  const auto files = files_below(o.dir);
  BOOST_REQUIRE_MESSAGE(files.size() >= 2u, names(files));
  std::vector<double> gaps;
  double prev_end = 0;
  for (const auto& f : files) {
    BOOST_TEST_CONTEXT(f) {
      const json::value v = probe(f);
      BOOST_REQUIRE(!v.is_null());
      BOOST_TEST((codecs_of(v) == std::vector<std::string>{"h264", "pcm_alaw"}));  // G.711 kept in Matroska
      BOOST_TEST(decode_errors(f) == "");
      BOOST_TEST(non_monotonic(f) == "");
      const double start = creation_time_of(v);
      if (prev_end > 0) gaps.push_back(start - prev_end);
      prev_end = start + duration_of(v);
    }
  }
  std::vector<double> big;
  for (double g : gaps) if (g > 1.0) big.push_back(g);
  BOOST_TEST_MESSAGE("outage " << o.down_for << " to " << o.outage << " s; gaps between files: " << big.size());
  BOOST_REQUIRE_EQUAL(big.size(), 1u);
  BOOST_TEST_MESSAGE("the gap: " << big[0] << " s");
  // The outage, plus at most the recorder's longest retry delay (2 s) and a GOP.
  BOOST_TEST(big[0] >= o.down_for - 1.0);
  BOOST_TEST(big[0] <= o.outage + 2.5 + kGop);
  // The log at the default level: the loss and the change of reason as
  // warnings, the repeated refusals not at all, the return as one notice.
  const std::string& err = o.rec.err;
  BOOST_TEST(count(err, ": the camera closed the stream; retrying in") == 1u, err);
  BOOST_TEST(count(err, "warning: " + o.url + ": connection refused; retrying in") == 1u, err);
  BOOST_TEST(count(err, "(failure ") == 0u, err);
  BOOST_TEST(count(err, "notice: " + o.url + ": back after ") == 1u, err);
  BOOST_TEST(count(err, "info: ") == 0u, err);
}

BOOST_AUTO_TEST_CASE(keep_deletes_only_this_cameras_old_segments_and_their_empty_folders) {
  const Retention& r = scenarios().keep.get();
  BOOST_REQUIRE_MESSAGE(r.rec.exit_code == 0, r.rec.err);
  BOOST_TEST(!fs::exists(r.dir / "front/2020-01-01/00-00-00.mp4"));
  BOOST_TEST(!fs::exists(r.dir / "front/2020-01-02/00-10-00.mp4"));
  BOOST_TEST(!fs::exists(r.dir / "front/2020-01-02/00-20-00-2.mp4"));
  BOOST_TEST(!fs::exists(r.dir / "front/2020-01-02"));  // an empty date folder goes
  BOOST_TEST(fs::exists(r.dir / "front/2020-01-01/notes.txt"));
  BOOST_TEST(fs::exists(r.dir / "front/2020-01-01/00-00-00.mp4.bak"));
  BOOST_TEST(fs::exists(r.dir / "front/2020-01-03/12-00-00.mp4"));  // younger than --keep
  BOOST_TEST(fs::exists(r.dir / "back/2020-01-01/00-00-00.mp4"));   // another camera
  BOOST_TEST(r.rec.lines.size() >= 1u);  // and it recorded meanwhile (two files if a minute began)
}

BOOST_AUTO_TEST_CASE(max_size_deletes_exactly_the_oldest_segments_of_this_camera) {
  const Retention& r = scenarios().max_size.get();
  BOOST_REQUIRE_MESSAGE(r.rec.exit_code == 0, r.rec.err);
  BOOST_TEST(fs::exists(r.dir / "cam-backup.mp4"));
  // What remains of the old ones is the newest few: never a gap in the middle.
  int kept = 0;
  bool deleted_newer = false;
  for (int i = 9; i >= 0; --i) {
    const bool exists = fs::exists(r.dir / max_size_name(i));
    if (exists && deleted_newer) BOOST_ERROR(max_size_name(i) << " kept although a newer one was deleted");
    if (!exists) deleted_newer = true;
    kept += exists;
  }
  BOOST_TEST(kept >= 2);
  BOOST_TEST(kept <= 4);
  std::uintmax_t total = 0;
  for (const auto& f : files_below(r.dir)) {
    if (f.filename() != "cam-backup.mp4") total += fs::file_size(f);
  }
  BOOST_TEST(total <= 4u << 20);
}

BOOST_AUTO_TEST_CASE(min_free_deletes_the_oldest_segments_until_the_filesystem_has_room) {
  const Retention& r = scenarios().min_free.get();
  BOOST_REQUIRE_MESSAGE(scenarios().mount_error.empty(), scenarios().mount_error);
  BOOST_REQUIRE_MESSAGE(r.rec.exit_code == 0, r.rec.err);
  BOOST_TEST(fs::exists(r.dir / "filler.bin"));
  int kept = 0;
  bool deleted_newer = false;
  for (int i = 5; i >= 0; --i) {
    const bool exists = fs::exists(r.dir / ("seg-00000" + std::to_string(i) + ".ts"));
    if (exists && deleted_newer) BOOST_ERROR("seg-00000" << i << " kept although a newer one was deleted");
    if (!exists) deleted_newer = true;
    kept += exists;
  }
  BOOST_TEST(kept <= 3);  // 16 MiB, 8 filler, 6 old: 30 % free needs 3 of them gone
  BOOST_TEST(kept >= 1);
  BOOST_TEST(std::stod(slurp(r.dir / "free-percent")) >= 30.0);
}

BOOST_AUTO_TEST_CASE(disk_full_keeps_the_segment_playable_frees_space_and_resumes) {
  const Retention& r = scenarios().disk_full.get();
  BOOST_REQUIRE_MESSAGE(scenarios().mount_error.empty(), scenarios().mount_error);
  BOOST_REQUIRE_MESSAGE(r.rec.exit_code == 0, r.rec.err);  // survived, stopped by SIGTERM
  BOOST_TEST(r.rec.err.find("No space left on device") != std::string::npos, r.rec.err);
  BOOST_TEST(fs::exists(r.dir / "filler.bin"));
  BOOST_TEST(!fs::exists(r.dir / "full-000001.mp4"));  // retention made room
  BOOST_TEST(!fs::exists(r.dir / "full-000002.mp4"));
  BOOST_TEST(r.rec.lines.size() >= 2u);  // resumed after the first full disk
  // Each segment cut short by the full disk plays up to where the disk was
  // full, however little room it had (the last one may have been stopped by
  // SIGTERM right after starting).
  int checked = 0;
  for (size_t i = 0; i < r.rec.lines.size(); ++i) {
    const fs::path f = r.dir / fs::path(r.rec.lines[i]).filename();
    if (!fs::exists(f)) continue;  // deleted by retention later
    BOOST_TEST_CONTEXT(f) {
      BOOST_TEST(frames_of(f) >= (i + 1 < r.rec.lines.size() ? 1 : 0));
      ++checked;
    }
  }
  BOOST_TEST(checked >= 1);
  // A segment that got nothing (its header did not fit) is removed, not left empty.
  for (const auto& f : files_below(r.dir)) BOOST_TEST(fs::file_size(f) > 0u, f);
}

// Issue "never delete what we did not write": files that differ from the
// pattern's names in one way each, a link named like a segment, and a
// segment's name in the parent folder all survive retention.
void check_only_real_segments_deleted(const Decoys& d) {
  BOOST_REQUIRE_MESSAGE(d.rec.exit_code == 0, d.rec.err);
  BOOST_TEST(d.rec.lines.size() >= 1u, d.rec.err);  // it recorded meanwhile
  for (const auto& f : kDecoyReal) BOOST_TEST(!fs::exists(d.dir / f), f);
  for (const auto& f : kDecoyFiles) BOOST_TEST(fs::is_regular_file(fs::symlink_status(d.dir / f)), f);
  BOOST_TEST(fs::is_symlink(d.dir / kDecoyLink));
  BOOST_TEST(fs::read_symlink(d.dir / kDecoyLink) == d.dir / "outside/a.b-Wed-120000.mkv");
}

BOOST_AUTO_TEST_CASE(keep_deletes_old_segments_but_no_decoy_link_or_parent_file) {
  check_only_real_segments_deleted(scenarios().decoys_keep.get());
}

BOOST_AUTO_TEST_CASE(max_size_deletes_old_segments_but_no_decoy_link_or_parent_file) {
  check_only_real_segments_deleted(scenarios().decoys_max_size.get());
}

BOOST_AUTO_TEST_CASE(failing_hook_is_logged_and_recording_goes_on) {
  const FailingHook& h = scenarios().failing_hook.get();
  BOOST_REQUIRE_MESSAGE(h.rec.exit_code == 0, h.rec.err);
  BOOST_TEST(h.rec.lines.size() >= 4u);  // 11 s of 2 s segments
  size_t failures = 0;
  for (size_t pos = 0; (pos = h.rec.err.find("failed with status 3", pos)) != std::string::npos; ++pos) ++failures;
  BOOST_TEST(failures == h.rec.lines.size());
  for (const auto& line : h.rec.lines) BOOST_TEST(frames_of(line) > 0);
}

BOOST_AUTO_TEST_CASE(a_camera_without_keyframes_is_reconnected_with_a_warning_and_writes_nothing) {
  const NoKeyframe& n = scenarios().no_keyframe.get();
  BOOST_TEST(n.rec.exit_code == 0, n.rec.err);
  BOOST_TEST(n.rec.lines.empty());
  BOOST_TEST((!fs::exists(n.dir) || files_below(n.dir).empty()));
  BOOST_TEST(count(n.rec.err, kNoKeyframeRetry) >= 2u, n.rec.err);
  // Only the first is a warning; the repeats of the same reason are debug lines.
  BOOST_TEST(count(n.rec.err, "warning: " + url("no-keyframe") + ": no keyframe within 9 s") == 1u, n.rec.err);
}

BOOST_AUTO_TEST_CASE(unusable_output_folder_exits_7_at_once) {
  const RunResult r = run_tool({"cctv-record", "-o", "/dev/null/sub/%H%M%S.mp4", url("h264")}, 20s);
  BOOST_TEST(r.exit_code == 7);
  BOOST_TEST(r.err.find("/dev/null/sub") != std::string::npos, r.err);
  BOOST_TEST(r.seconds < 5.0);
}

BOOST_AUTO_TEST_CASE(bad_options_exit_2_and_bad_streams_their_codes) {
  TempDir tmp;
  const std::string out = (tmp.path() / "%H%M%S.mp4").string();
  struct Case { std::vector<std::string> args; int code; };
  const std::vector<Case> cases{
      {{"-o", (tmp.path() / "x.avi").string(), url("h264")}, 2},          // unknown container
      {{"-o", (tmp.path() / "fixed.mp4").string(), url("h264")}, 2},      // names never change
      {{"-o", (tmp.path() / "{name}-%H%M%S.mp4").string(), url("h264")}, 2},  // {name} without --name
      {{"--keep", "soon", "-o", out, url("h264")}, 2},
      {{"--max-size", "12Q", "-o", out, url("h264")}, 2},
      {{"--min-free", "150", "-o", out, url("h264")}, 2},
      {{"-o", out, url("auth")}, 4},
      {{"-o", out, url("no-such-stream")}, 5},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{"cctv-record"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const RunResult r = run_tool(argv, 20s);
    BOOST_TEST(r.exit_code == c.code, c.args[c.args.size() - 2] << ": " << r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') <= 2, r.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
