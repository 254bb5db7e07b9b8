// SPDX-License-Identifier: MIT
// A camera whose clock jumps (the fixture's /clock-jump): cctv-record, cctv-hls
// and cctv-mjpeg-serve on it at once, outputs checked with ffprobe and curl.
//
// The camera's RTP timestamps step back 5 s at 10.4 s and forward 30 s at
// 20.4 s of every 20 s of its life, while its frames keep coming in real
// time. The three tools run concurrently over the same 46 s of the camera
// (two steps each way), each on its own thread; the test cases then check
// one tool's results each. Wall time: the run plus the ffprobe checks.
#define BOOST_TEST_MODULE clock_jump_integration
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <csignal>
#include <ctime>
#include <future>
#include <map>
#include <regex>
#include <sstream>
#include <string_view>
#include <thread>
#include <tuple>

#include <boost/json.hpp>

#include "mjpeg_client.hpp"
#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr double kFps = 25.0;        // the fixture's frame rate
constexpr double kFrame = 1 / kFps;  // seconds
constexpr double kGop = 2.0;         // the fixture's GOP, seconds
// The tools stop this long after the camera started: its steps back at 10.4
// and 30.4 s and forward at 20.4 and 40.4 s all fall inside, with room for a
// slow start under load before the first and after the last.
constexpr auto kRunUntil = 46s;
constexpr std::size_t kStepsEachWay = 2;
// The viewer watches a window around the forward step at 20.4 s and the
// step back at 30.4 s; frames flow in it by 19 s even if curl takes 5 s to
// start on a loaded machine.
constexpr auto kWatchFrom = 14s;
constexpr int kWatchSeconds = 20;

struct CameraRun {
  Camera camera;
  SteadyClock::time_point started = SteadyClock::now();  // READY: the camera's clock runs from about here
};

CameraRun& cam() {
  static CameraRun c;
  return c;
}

std::string url() { return cam().camera.url("clock-jump"); }

// What a tool printed and how it ended.
struct ToolRun {
  int exit_code = -1;
  std::vector<std::string> lines;  // stdout
  std::string err;
};

// Runs `argv` until `stop_at`, then SIGTERM and collects everything.
ToolRun run_until(const std::vector<std::string>& argv, SteadyClock::time_point stop_at) {
  Process p(argv);
  std::this_thread::sleep_until(stop_at);  // the length of the recording, not a wait for an event
  p.signal(SIGTERM);
  ToolRun r;
  r.exit_code = p.wait(20s).value_or(-1);
  if (r.exit_code == -1) r.exit_code = p.kill();
  while (auto line = p.read_line(1s)) r.lines.push_back(*line);
  r.err = p.stderr_text();
  return r;
}

// --- Independent readers ------------------------------------------------------

RunResult ffprobe(const std::vector<std::string>& args, const fs::path& file) {
  std::vector<std::string> argv{"ffprobe", "-v", "error"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(file.string());
  return run_tool(argv, 60s);
}

// ffprobe's format section: duration, start_time, tags.
json::object format_of(const fs::path& p) {
  const RunResult r = ffprobe({"-of", "json", "-show_format"}, p);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, p << ": " << r.err);
  return json::parse(r.out).at("format").as_object();
}

double number(const json::object& o, const char* key) {
  return std::stod(json::value_to<std::string>(o.at(key)));
}

// creation_time from the file's tags, as seconds since the epoch (UTC).
double creation_time_of(const json::object& format) {
  const std::string t = json::value_to<std::string>(format.at("tags").at("creation_time"));
  std::tm tm{};
  const char* rest = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  BOOST_REQUIRE(rest != nullptr);
  const double frac = *rest == '.' ? std::stod(std::string("0") + std::string(rest).substr(0, 7)) : 0.0;
  return static_cast<double>(timegm(&tm)) + frac;
}

// Frames ffprobe decodes in the first video stream.
long frames_of(const fs::path& p) {
  const RunResult r = ffprobe({"-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames",
                               "-of", "csv=p=0"},
                              p);
  return r.exit_code == 0 && !r.out.empty() ? std::stol(r.out) : -1;
}

// Decodes every frame with ffmpeg: "" when it plays cleanly, else ffmpeg's complaint.
std::string decode_errors(const fs::path& p) {
  const RunResult r = run_tool({"ffmpeg", "-v", "error", "-i", p.string(), "-f", "null", "-"}, 60s);
  if (r.exit_code != 0) return "exit " + std::to_string(r.exit_code) + ": " + r.err;
  return r.err;
}

// The first packet whose DTS does not strictly increase, or that steps more
// than a second past the one before (a jump left in), as text; "" when none.
std::string timeline_fault(const fs::path& p) {
  const RunResult r = ffprobe({"-show_entries", "packet=stream_index,dts_time", "-of", "csv=p=0"}, p);
  if (r.exit_code != 0) return "ffprobe failed: " + r.err;
  std::map<int, double> last;
  std::istringstream in(r.out);
  long n = 0;
  for (std::string line; std::getline(in, line);) {
    const auto comma = line.find(',');
    if (comma == std::string::npos || comma + 1 >= line.size() || line[comma + 1] == 'N') continue;  // side data, N/A
    ++n;
    const int stream = std::stoi(line.substr(0, comma));
    const double dts = std::stod(line.substr(comma + 1));
    if (last.count(stream) && (dts <= last[stream] || dts - last[stream] > 1.0)) {
      return "packet " + std::to_string(n) + ": dts " + std::to_string(dts) + " after " + std::to_string(last[stream]);
    }
    last[stream] = dts;
  }
  return n > 0 ? "" : "no packets";
}

// The sizes (seconds, negative: back) of the clock jumps a tool logged.
std::vector<double> logged_jumps(const std::string& err) {
  static const std::regex kJump(R"(warning: .*clock jumped (back|forward) ([0-9]+\.[0-9]) s)");
  std::vector<double> out;
  for (auto it = std::sregex_iterator(err.begin(), err.end(), kJump); it != std::sregex_iterator(); ++it) {
    const double s = std::stod((*it)[2]);
    out.push_back((*it)[1] == "back" ? -s : s);
  }
  return out;
}

// Two steps back of about 5 s and two forward of about 30 s, each logged once.
void check_logged_jumps(const std::string& err) {
  std::size_t back = 0, forward = 0;
  for (double s : logged_jumps(err)) {
    if (s < 0) {
      ++back;
      BOOST_TEST(std::abs(s + 5) <= 0.5, "step back of " << s << " s");
    } else {
      ++forward;
      BOOST_TEST(std::abs(s - 30) <= 0.5, "step forward of " << s << " s");
    }
  }
  BOOST_TEST(back == kStepsEachWay, err);
  BOOST_TEST(forward == kStepsEachWay, err);
}

// --- The runs, concurrent -----------------------------------------------------

struct RecordRun {
  fs::path dir;
  ToolRun run;
};

struct HlsRun {
  fs::path dir;
  ToolRun run;
};

struct ViewerRun {
  int frames = -1;       // complete JPEG parts in the window
  int bad = 0;           // parts that break the multipart format
  double flowing = 0;    // seconds of the window after the response began
  long reconnects = -1;  // from /healthz after the window
  std::string err;
};

struct Runs {
  TempDir tmp;
  std::shared_future<RecordRun> record;
  std::shared_future<HlsRun> hls;
  std::shared_future<ViewerRun> viewer;
};

RecordRun run_record(fs::path dir) {
  RecordRun r{dir, {}};
  r.run = run_until({(bin_dir() / "cctv-record").string(), "--segment-time", "10", "-o",
                     (dir / "%H%M%S.mp4").string(), url()},
                    cam().started + kRunUntil);
  return r;
}

HlsRun run_hls(fs::path dir) {
  fs::create_directories(dir);
  HlsRun h{dir, {}};
  // Every segment of the run stays listed.
  h.run = run_until({(bin_dir() / "cctv-hls").string(), "--list-size", "40", "-o", dir.string(), url()},
                    cam().started + kRunUntil);
  return h;
}

// The complete JPEG parts of a multipart/x-mixed-replace body, and the bad ones.
std::pair<int, int> count_parts(const std::string& body) {
  static const std::string kBoundary = "--cctvframe\r\n";
  static const std::regex kLength("Content-Length: ([0-9]+)");
  int good = 0, bad = 0;
  for (std::size_t pos = body.find(kBoundary); pos != std::string::npos;) {  // pos only grows
    const std::size_t end_head = body.find("\r\n\r\n", pos);
    if (end_head == std::string::npos) break;  // cut by curl's --max-time
    const std::string headers = body.substr(pos, end_head - pos);
    std::smatch m;
    if (!std::regex_search(headers, m, kLength)) {
      ++bad;
      break;
    }
    const std::size_t data = end_head + 4, len = std::stoul(m[1]);
    if (data + len > body.size()) break;
    (is_jpeg(std::string_view(body).substr(data, len)) ? good : bad) += 1;
    pos = body.find(kBoundary, data + len);
  }
  return {good, bad};
}

ViewerRun run_viewer() {
  ViewerRun v;
  MjpegServer server({"--always-on", "--camera", "cam=" + url()});
  std::this_thread::sleep_until(cam().started + kWatchFrom);
  TempDir tmp;
  const RunResult r = run_tool({"curl", "-s", "-N", "--max-time", std::to_string(kWatchSeconds), "-w",
                                "%{time_starttransfer}", "-o", (tmp.path() / "body").string(),
                                server.at("/cam/stream.mjpg")},
                               std::chrono::seconds(kWatchSeconds) + 20s);
  std::tie(v.frames, v.bad) = count_parts(slurp(tmp.path() / "body"));
  // Starting curl and connecting can take a second or two on a loaded
  // machine; the rate is what flows after that.
  v.flowing = kWatchSeconds - std::stod(r.out.empty() ? "0" : r.out);
  if (r.exit_code != 28) v.err = "curl did not end by its --max-time: " + std::to_string(r.exit_code) + " " + r.err;
  const Reply health = get(server.at("/healthz"));
  if (health.status == 200) {
    v.reconnects = json::parse(health.body).at("cameras").as_array().at(0).as_object().at("reconnects").as_int64();
  }
  v.err += server.process.stderr_text();
  return v;
}

Runs& runs() {
  static Runs* r = [] {
    cam();  // started by this (long-lived) thread, before the tools
    auto* rs = new Runs;
    const fs::path t = rs->tmp.path();
    auto go = [](auto f) { return std::async(std::launch::async, std::move(f)).share(); };
    rs->record = go([t] { return run_record(t / "record"); });
    rs->hls = go([t] { return run_hls(t / "hls"); });
    rs->viewer = go([] { return run_viewer(); });
    return rs;
  }();
  return *r;
}

// --- HLS playlist -------------------------------------------------------------

struct Listed {
  std::string uri;
  double extinf = 0;
};

struct Playlist {
  int target = 0;
  int discontinuities = 0;
  std::vector<Listed> segments;
};

Playlist read_playlist(const fs::path& file) {
  Playlist p;
  std::istringstream in(slurp(file));
  double extinf = -1;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("#EXT-X-TARGETDURATION:", 0) == 0) p.target = std::stoi(l.substr(22));
    if (l == "#EXT-X-DISCONTINUITY") ++p.discontinuities;
    if (l.rfind("#EXTINF:", 0) == 0) extinf = std::stod(l.substr(8));
    if (!l.empty() && l[0] != '#' && extinf >= 0) {
      p.segments.push_back({l, extinf});
      extinf = -1;
    }
  }
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(clock_jump)

BOOST_AUTO_TEST_CASE(record_segments_play_keep_monotonic_timestamps_and_their_wall_clock_length) {
  const RecordRun& r = runs().record.get();
  BOOST_REQUIRE_MESSAGE(r.run.exit_code == 0, r.run.err);
  BOOST_REQUIRE_MESSAGE(r.run.lines.size() >= 4u, r.run.err);  // 45 s of 10 s segments
  std::vector<double> durations, created;
  for (const std::string& line : r.run.lines) {
    const fs::path f = line;
    BOOST_TEST_CONTEXT(f.filename()) {
      const json::object format = format_of(f);
      const double d = number(format, "duration");
      const long frames = frames_of(f);
      BOOST_TEST_MESSAGE(f.filename() << ": " << d << " s, " << frames << " frames");
      BOOST_TEST(decode_errors(f) == "");
      BOOST_TEST(timeline_fault(f) == "");
      // A jump left in makes a file 30 s longer or 5 s shorter than its frames.
      BOOST_TEST(std::abs(d - frames / kFps) <= kGop + 1.0, d << " s for " << frames << " frames");
      durations.push_back(d);
      created.push_back(creation_time_of(format));
    }
  }
  // Each file but the last lasts until the next one starts (wall clock).
  for (std::size_t i = 0; i + 1 < durations.size(); ++i) {
    const double wall = created[i + 1] - created[i];
    BOOST_TEST(std::abs(durations[i] - wall) <= kGop + 1.0, r.run.lines[i] << ": " << durations[i] << " s in "
                                                                           << wall << " s of wall clock");
  }
}

BOOST_AUTO_TEST_CASE(record_logs_each_clock_jump_once_as_a_warning) {
  const RecordRun& r = runs().record.get();
  check_logged_jumps(r.run.err);
  BOOST_TEST(count(r.run.err, "repaired") == 0u, r.run.err);  // no per-segment repair counts for the jumps
  BOOST_TEST(count(r.run.err, "retrying") == 0u, r.run.err);  // the camera never went away
}

BOOST_AUTO_TEST_CASE(hls_extinf_matches_each_segment_and_the_timeline_runs_on_across_segments) {
  const HlsRun& h = runs().hls.get();
  BOOST_REQUIRE_MESSAGE(h.run.exit_code == 0, h.run.err);
  const Playlist p = read_playlist(h.dir / "stream.m3u8");
  BOOST_TEST_MESSAGE("hls: " << p.segments.size() << " segments, target " << p.target << " s");
  BOOST_REQUIRE(p.segments.size() >= 15u);  // 45 s of 2 s segments
  BOOST_TEST(p.discontinuities == 0);
  double prev_end = -1;
  for (const Listed& s : p.segments) {
    BOOST_TEST_CONTEXT(s.uri << " EXTINF " << s.extinf) {
      BOOST_TEST(s.extinf <= 2.0 * p.target);
      const json::object format = format_of(h.dir / s.uri);
      const double start = number(format, "start_time"), d = number(format, "duration");
      BOOST_TEST(std::abs(s.extinf - d) <= 0.1 + kFrame, "ffprobe reads " << d << " s");
      BOOST_TEST(timeline_fault(h.dir / s.uri) == "");
      // Each segment starts where the one before ended: no step back, no 30 s gap.
      if (prev_end >= 0) {
        BOOST_TEST(std::abs(start - prev_end) <= 0.1 + kFrame, "starts at " << start << " after " << prev_end);
      }
      prev_end = start + d;
    }
  }
}

BOOST_AUTO_TEST_CASE(hls_logs_each_clock_jump_once_as_a_warning) {
  const HlsRun& h = runs().hls.get();
  check_logged_jumps(h.run.err);
  BOOST_TEST(count(h.run.err, "retrying") == 0u, h.run.err);
}

BOOST_AUTO_TEST_CASE(mjpeg_serve_keeps_its_frame_rate_over_a_jump_forward_and_back) {
  const ViewerRun& v = runs().viewer.get();
  BOOST_TEST_MESSAGE("viewer: " << v.frames << " frames in " << v.flowing << " s");
  BOOST_TEST(v.flowing >= kWatchSeconds - 5.0);  // the window still holds both steps
  // The floor of the other rate tests: 90 % of the frames, half when sanitized.
  const int floor = static_cast<int>(kRateShare * 0.9 * kFps * v.flowing);
  BOOST_TEST(v.frames >= floor, v.frames << " frames in " << v.flowing << " s; " << v.err);
  BOOST_TEST(v.bad == 0);
  BOOST_TEST(v.reconnects == 0, v.err);
}

BOOST_AUTO_TEST_SUITE_END()
