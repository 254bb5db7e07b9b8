// SPDX-License-Identifier: MIT
// cctv-discover against fake ONVIF devices (cctv-test-onvif) whose streams are the RTSP test camera.
//
// Multicast WS-Discovery needs a loopback that carries multicast: ctest runs
// this binary under tests/support/netns-run, in a network namespace of its
// own with only loopback, where the test turns multicast on. Nothing leaves
// the machine: the Probes go to 239.255.255.250 on lo, every other request
// to 127.0.0.1.
//
// Every fake device starts once, at the first case that needs them, at the
// same time as the camera; the cases share them and run cctv-discover as a
// user would. Runs that only wait (--wait) go side by side.
#define BOOST_TEST_MODULE discover_integration
#include <ifaddrs.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// The camera's port. Fixed rather than 0 so that the fake devices, started
// at the same time, can point at it; it is below the namespace's ephemeral
// port range (32768-60999), where no port-0 bind can take it first.
constexpr int kCameraPort = 18554;
const std::string kCameraBase = "rtsp://127.0.0.1:" + std::to_string(kCameraPort);

// The one account of every fake device. Distinctive, so that a test can
// look for it in everything the tool prints.
const std::string kUser = "operator";
const std::string kPassword = "Onvif-Pw-7c1e9";
const std::string kWrongPassword = "Wrong-Pw-3f82d";
// The uri-quirks device has a user name with a blank, which the conf output must quote.
const std::string kBlankUser = "site admin";

// Every run of cctv-discover gets this long; only a hang reaches it.
constexpr auto kDeadline = 120s;

// A fake ONVIF device: its process and where it listens.
struct FakeDevice {
  std::string name;  // its scope name (--name)
  std::unique_ptr<Process> process;
  int http_port = 0;
  std::string udp;  // "ADDR:PORT" of its WS-Discovery socket

  std::string host() const { return "127.0.0.1:" + std::to_string(http_port); }
  std::string xaddr() const { return "http://" + host() + "/onvif/device_service"; }
  std::string snapshot(const std::string& profile) const {
    return "http://" + host() + "/snapshot/" + profile + ".jpg";
  }
  std::string log() const { return process->stderr_text(); }
};

// Fails unless this process is in a network namespace with only loopback:
// the test changes lo's flags, which it must never do on a real machine.
void require_private_namespace() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw std::runtime_error("getifaddrs failed");
  std::set<std::string> names;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) names.insert(i->ifa_name);
  freeifaddrs(list);
  if (names != std::set<std::string>{"lo"}) {
    throw std::runtime_error("discover_test must run under tests/support/netns-run (a namespace with only lo)");
  }
}

// The devices, the camera, and the lo flag, for the whole binary.
class Lab {
 public:
  Lab() {
    require_private_namespace();
    // The fake devices join the WS-Discovery group on lo; netns-run brings lo up, not multicast.
    const RunResult ip = run_tool({"ip", "link", "set", "lo", "multicast", "on"}, 30s);
    if (ip.exit_code != 0) throw std::runtime_error("ip link set lo multicast on: " + ip.err);
    const std::vector<std::string> unicast_discovery = {"--discovery-address", "127.0.0.1", "--discovery-port", "0"};
    const auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
      a.insert(a.end(), b.begin(), b.end());
      return a;
    };
    // Two devices on the multicast group, each answering every Probe twice.
    add("front", {"--name", "Front Door", "--hardware", "FakeCam-F1", "--location", "Building 7",
                  "--uuid", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "--answer-twice", "--profile",
                  "main=/h264:H264:1280x720:25:2048", "--profile", "low=/mjpeg:JPEG:640x360:15:512",
                  "--media2-only-profile"});
    add("back", {"--name", "Back Yard", "--hardware", "FakeCam-B2", "--location", "Garten S\xc3\xbc" "d",
                 "--answer-twice"});
    // The others answer unicast Probes only, so that multicast finds just the two above.
    add("clock",
        with(unicast_discovery, {"--name", "Clock Skew", "--location", "Server Room", "--clock-offset", "10800"}));
    add("xaddrs-multiple", with(unicast_discovery, {"--name", "Two XAddrs", "--xaddrs-multiple"}));
    add("xaddrs-zero", with(unicast_discovery, {"--name", "Zero Host", "--xaddrs-zero"}));
    add("uri-quirks", with(unicast_discovery, {"--name", "Odd URIs", "--uri-quirks"}), kBlankUser);
    add("odd-prefixes", with(unicast_discovery, {"--name", "Odd Prefixes", "--odd-prefixes"}));
    add("http-digest", with(unicast_discovery, {"--name", "Digest Too", "--http-digest"}));
    add("missing-mount", with(unicast_discovery, {"--name", "Gone", "--profile", "main=/h264:H264:1280x720:25:2048",
                                                  "--profile", "gone=/no-such-mount:H264:640x360:25:512"}));
    camera_ = std::make_unique<Camera>(CameraOptions{.port = kCameraPort});
    for (auto& [label, d] : devices_) read_addresses(label, d);
  }

  FakeDevice& device(const std::string& label) { return devices_.at(label); }

 private:
  void add(const std::string& label, std::vector<std::string> args, const std::string& user = kUser) {
    FakeDevice d;
    const auto name = std::find(args.begin(), args.end(), "--name");
    d.name = name != args.end() && name + 1 != args.end() ? *(name + 1) : "";
    std::vector<std::string> argv = {"cctv-test-onvif", "--http-port", "0", "--rtsp-base", kCameraBase,
                                     "--user", user, "--password", kPassword};
    argv.insert(argv.end(), args.begin(), args.end());
    d.process = std::make_unique<Process>(argv);
    devices_.emplace(label, std::move(d));
  }

  // "http ADDR:PORT" then "udp ADDR:PORT", once it listens.
  static void read_addresses(const std::string& label, FakeDevice& d) {
    const auto http = d.process->read_line(60s);
    const auto udp = d.process->read_line(60s);
    if (!http || !udp || !http->starts_with("http 127.0.0.1:") || !udp->starts_with("udp ")) {
      throw std::runtime_error("fake device " + label + " did not start: " + d.process->stderr_text());
    }
    d.http_port = std::stoi(http->substr(http->rfind(':') + 1));
    d.udp = udp->substr(4);
  }

  std::map<std::string, FakeDevice> devices_;
  std::unique_ptr<Camera> camera_;  // the stream URIs of every device point at it
};

Lab& lab() {
  static Lab l;
  return l;
}

EnvChanges password_env(const std::string& password) {
  return {{"CCTV_PASSWORD", password}, {"CREDENTIALS_DIRECTORY", ""}};
}
const EnvChanges kNoPassword = password_env("");

// cctv-discover with `args`; each request to a device may take 30 s (not
// the default 5) on a loaded machine, unless `args` says otherwise.
RunResult discover(std::vector<std::string> args, const EnvChanges& env) {
  lab();  // first of all: the check that this is a private namespace (no Probe may reach a real network)
  if (std::find(args.begin(), args.end(), "--timeout") == args.end()) args.insert(args.end(), {"--timeout", "30"});
  args.insert(args.begin(), "cctv-discover");
  return run_tool(args, kDeadline, env);
}

// Several runs at once (each only waits on the network); results in order.
std::vector<RunResult> discover_side_by_side(const std::vector<std::pair<std::vector<std::string>, EnvChanges>>& runs) {
  // Here, not on the threads: a Process dies with the thread that started it.
  lab();
  std::vector<std::future<RunResult>> started;
  for (const auto& [args, env] : runs) {
    started.push_back(std::async(std::launch::async, [args, env] { return discover(args, env); }));
  }
  std::vector<RunResult> out;
  for (auto& f : started) out.push_back(f.get());
  return out;
}

std::string describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\nstdout:\n" + r.out +
         "\nstderr:\n" + r.err;
}

// A string field as text; "<null>" for null, "<not a string>" for anything else.
std::string str(const json::value& v) {
  if (v.is_null()) return "<null>";
  if (!v.is_string()) return "<not a string>";
  return std::string(v.as_string());
}

// The JSON document of a run, checked for its envelope.
json::object parse_doc(const RunResult& r) {
  json::value v;
  try {
    v = json::parse(r.out);
  } catch (const std::exception& e) {
    BOOST_FAIL("not JSON (" << e.what() << "): " << describe(r));
  }
  BOOST_REQUIRE_MESSAGE(v.is_object(), describe(r));
  const json::object& doc = v.as_object();
  BOOST_TEST(str(doc.at("tool")) == "cctv-discover");
  BOOST_TEST(doc.at("version").is_string());
  BOOST_REQUIRE_MESSAGE(doc.at("devices").is_array(), describe(r));
  return doc;
}

const json::array& devices_of(const json::object& doc) { return doc.at("devices").as_array(); }

// The device in `doc` whose xaddr is `xaddr`; fails if there is not exactly one.
const json::object& device_at(const json::object& doc, const std::string& xaddr) {
  const json::object* found = nullptr;
  int n = 0;
  for (const json::value& d : devices_of(doc)) {
    if (str(d.at("xaddr")) == xaddr) {
      found = &d.as_object();
      ++n;
    }
  }
  BOOST_REQUIRE_MESSAGE(n == 1, n << " devices with xaddr " << xaddr << " in " << json::serialize(doc));
  return *found;
}

const json::object& profile_of(const json::object& device, const std::string& token) {
  for (const json::value& p : device.at("profiles").as_array()) {
    if (str(p.at("token")) == token) return p.as_object();
  }
  BOOST_FAIL("no profile " << token << " in " << json::serialize(device));
  throw std::logic_error("unreachable");
}

std::set<std::string> tokens_of(const json::object& device) {
  std::set<std::string> out;
  for (const json::value& p : device.at("profiles").as_array()) out.insert(str(p.at("token")));
  return out;
}

// What a --profile NAME=MOUNT:CODEC:WxH:FPS:KBPS option of the fixture describes.
struct Expected {
  std::string name;
  std::string mount;
  std::string codec;  // FFmpeg's name
  int width;
  int height;
  double fps;
  int kbps;
};
const std::vector<Expected> kFrontProfiles = {
    {"main", "/h264", "h264", 1280, 720, 25, 2048},
    {"low", "/mjpeg", "mjpeg", 640, 360, 15, 512},
    {"h265", "/h265", "hevc", 1280, 720, 25, 1536},  // --media2-only-profile
};
const std::vector<Expected> kDefaultProfiles = {
    {"main", "/h264", "h264", 1280, 720, 25, 2048},
    {"sub", "/h264-pcma", "h264", 1280, 720, 25, 1024},
};

// A device with credentials: every field as the fixture was told, no error.
void check_device_with_profiles(const json::object& d, const FakeDevice& fake, const std::vector<Expected>& profiles,
                                const std::string& uri_suffix = "") {
  BOOST_TEST_CONTEXT("device " << fake.name << ": " << json::serialize(d)) {
    BOOST_TEST(str(d.at("error")) == "<null>");
    BOOST_TEST(str(d.at("address")) == "127.0.0.1");
    BOOST_TEST(str(d.at("xaddr")) == fake.xaddr());
    BOOST_TEST(str(d.at("maker")) == "cctv-tools");
    BOOST_TEST(str(d.at("firmware")) == "1.0.0");
    BOOST_TEST(d.at("serial").is_string());
    BOOST_TEST(d.at("clock_offset_s").is_int64());
    std::set<std::string> want;
    for (const Expected& e : profiles) want.insert("tok_" + e.name);
    BOOST_TEST(tokens_of(d) == want, boost::test_tools::per_element());
    for (const Expected& e : profiles) {
      const json::object& p = profile_of(d, "tok_" + e.name);
      BOOST_TEST_CONTEXT("profile " << e.name) {
        BOOST_TEST(str(p.at("name")) == e.name);
        BOOST_TEST(str(p.at("codec")) == e.codec);
        BOOST_TEST(p.at("width").as_int64() == e.width);
        BOOST_TEST(p.at("height").as_int64() == e.height);
        BOOST_TEST(p.at("fps").to_number<double>() == e.fps);
        BOOST_TEST(p.at("bitrate_kbps").as_int64() == e.kbps);
        BOOST_TEST(str(p.at("stream_uri")) == kCameraBase + e.mount + uri_suffix);
        BOOST_TEST(str(p.at("snapshot_uri")) == fake.snapshot(e.name) + uri_suffix);
      }
    }
  }
}

// How many times `what` occurs in a fake device's log (one line per request or Probe).
std::size_t log_count(const FakeDevice& d, std::string_view what) { return count(d.log(), what); }

void check_no_password(const RunResult& r) {
  BOOST_TEST(r.out.find(kPassword) == std::string::npos, "password in stdout: " << r.out);
  BOOST_TEST(r.err.find(kPassword) == std::string::npos, "password in stderr: " << r.err);
  BOOST_TEST(r.out.find(kWrongPassword) == std::string::npos, "password in stdout: " << r.out);
  BOOST_TEST(r.err.find(kWrongPassword) == std::string::npos, "password in stderr: " << r.err);
}

// A multicast Probe gets its answers in milliseconds; five seconds of --wait
// leave room for a loaded machine, and the three runs share them.
constexpr std::string_view kMulticastWait = "5";

struct MulticastRuns {
  RunResult anonymous_json;    // --json, no credentials
  RunResult anonymous_table;   // --interface lo, no credentials
  RunResult credentials_json;  // --json --user
};

// The multicast runs, side by side, once for the cases that read them.
const MulticastRuns& multicast_runs() {
  static const MulticastRuns runs = [] {
    lab();
    const std::string wait(kMulticastWait);
    auto r = discover_side_by_side({
        {{"--json", "--wait", wait}, kNoPassword},
        {{"--interface", "lo", "--wait", wait}, kNoPassword},
        {{"--json", "--wait", wait, "--user", kUser}, password_env(kPassword)},
    });
    return MulticastRuns{r.at(0), r.at(1), r.at(2)};
  }();
  return runs;
}

// `--check --json --host` of the front device (three profiles, one of them
// H.265 and Media2's only), once for the cases that read it. -vvv: the
// password must not show even in trace output.
const RunResult& front_check_run() {
  static const RunResult run =
      discover({"--json", "--check", "-vvv", "--host", lab().device("front").host(), "--user", kUser},
               password_env(kPassword));
  return run;
}

}  // namespace

// ---- discovery ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(multicast_probe_lists_each_device_once_with_its_scopes) {
  const FakeDevice& front = lab().device("front");
  const FakeDevice& back = lab().device("back");
  const RunResult& js = multicast_runs().anonymous_json;
  const RunResult& table = multicast_runs().anonymous_table;
  // Without credentials a device that wants them is listed; the status stays 0.
  BOOST_TEST(js.exit_code == 0, describe(js));
  BOOST_TEST(table.exit_code == 0, describe(table));
  BOOST_TEST(js.seconds >= 4.9, js.seconds);  // it collected answers for the whole --wait
  const json::object doc = parse_doc(js);
  BOOST_TEST(devices_of(doc).size() == 2u, json::serialize(doc));
  const json::object& f = device_at(doc, front.xaddr());
  BOOST_TEST(str(f.at("address")) == "127.0.0.1");
  BOOST_TEST(str(f.at("name")) == "Front Door");
  BOOST_TEST(str(f.at("hardware")) == "FakeCam-F1");
  BOOST_TEST(str(f.at("location")) == "Building 7");  // percent-decoded
  BOOST_TEST(f.at("profiles").as_array().empty());
  BOOST_TEST(str(f.at("error")).find("needs a user name and password (--user)") != std::string::npos);
  const json::object& b = device_at(doc, back.xaddr());
  BOOST_TEST(str(b.at("name")) == "Back Yard");
  BOOST_TEST(str(b.at("hardware")) == "FakeCam-B2");
  BOOST_TEST(str(b.at("location")) == "Garten S\xc3\xbc" "d");
  // Each answered every Probe twice (--answer-twice), and is listed once.
  BOOST_TEST(log_count(front, "answered with 2 ProbeMatches") >= 2u, front.log());
  BOOST_TEST(log_count(back, "answered with 2 ProbeMatches") >= 2u, back.log());
  BOOST_TEST(count(table.out, "Front Door") == 1u, table.out);
  BOOST_TEST(count(table.out, "Back Yard") == 1u, table.out);
  BOOST_TEST(count(table.out, "FakeCam-F1") == 1u, table.out);
  // Each with the note that it wants a user name, in the table and on stderr.
  BOOST_TEST(count(table.out, "needs a user name and password (--user)") == 2u, describe(table));
  BOOST_TEST(count(table.err, "needs a user name and password (--user)") == 2u, describe(table));
}

BOOST_AUTO_TEST_CASE(json_fields_match_what_each_device_was_configured_with) {
  const FakeDevice& front = lab().device("front");
  const FakeDevice& back = lab().device("back");
  const RunResult& r = multicast_runs().credentials_json;
  BOOST_TEST(r.exit_code == 0, describe(r));
  check_no_password(r);
  const json::object doc = parse_doc(r);
  BOOST_TEST(devices_of(doc).size() == 2u, json::serialize(doc));
  const json::object& f = device_at(doc, front.xaddr());
  check_device_with_profiles(f, front, kFrontProfiles);
  BOOST_TEST(str(f.at("name")) == "Front Door");
  BOOST_TEST(str(f.at("hardware")) == "FakeCam-F1");
  BOOST_TEST(str(f.at("location")) == "Building 7");
  BOOST_TEST(str(f.at("model")) == "FakeCam-F1");
  BOOST_TEST(str(f.at("serial")) == "0A1B2C3D4E5F");  // from --uuid
  BOOST_TEST(std::abs(f.at("clock_offset_s").as_int64()) <= 2);
  for (const json::value& p : f.at("profiles").as_array()) BOOST_TEST(p.at("check").is_null());
  const json::object& b = device_at(doc, back.xaddr());
  check_device_with_profiles(b, back, kDefaultProfiles);
  BOOST_TEST(str(b.at("model")) == "FakeCam-B2");
  BOOST_TEST(std::abs(b.at("clock_offset_s").as_int64()) <= 2);
}

// "--json documented field by field in the man page": every key the tool prints.
BOOST_AUTO_TEST_CASE(every_json_field_is_documented_in_the_man_page) {
  const RunResult& r = front_check_run();
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
  const json::object doc = parse_doc(r);
  std::set<std::string> keys;
  for (const auto& kv : doc) keys.insert(kv.key());
  const json::object& d = devices_of(doc).at(0).as_object();
  for (const auto& kv : d) keys.insert(kv.key());
  const json::object& p = d.at("profiles").as_array().at(0).as_object();
  for (const auto& kv : p) keys.insert(kv.key());
  BOOST_REQUIRE(p.at("check").is_object());
  for (const auto& kv : p.at("check").as_object()) keys.insert(kv.key());
  const RunResult man = run_tool({"cctv-discover", "--generate", "man"}, kDeadline);
  BOOST_REQUIRE_MESSAGE(man.exit_code == 0, describe(man));
  const std::size_t section = man.out.find(".SH JSON OUTPUT");
  BOOST_REQUIRE_MESSAGE(section != std::string::npos, man.out);
  const std::string json_section = man.out.substr(section, man.out.find("\n.SH ", section + 1) - section);
  for (const std::string& k : keys) {
    const bool documented = json_section.find("\n.B " + k + "\n") != std::string::npos ||
                            json_section.find("\n.BR " + k + " ") != std::string::npos ||
                            json_section.find("\"" + k + "\"") != std::string::npos;
    BOOST_TEST(documented, "JSON field '" << k << "' is not in the man page's JSON OUTPUT section");
  }
}

BOOST_AUTO_TEST_CASE(host_asks_one_device_directly_without_a_probe) {
  const FakeDevice& front = lab().device("front");
  const FakeDevice& back = lab().device("back");
  const std::size_t probes_before = log_count(front, "udp from") + log_count(back, "udp from");
  const auto runs = discover_side_by_side({
      {{"--host", front.host(), "--user", kUser}, password_env(kPassword)},
      {{"--json", "--host", front.host(), "--user", kUser}, password_env(kPassword)},
  });
  const RunResult& table = runs[0];
  BOOST_TEST(table.exit_code == 0, describe(table));
  check_no_password(table);
  // The table lists every profile with its stream URI on the camera.
  for (const Expected& e : kFrontProfiles) {
    BOOST_TEST(count(table.out, kCameraBase + e.mount + " ") == 1u, e.name << ":\n" << table.out);
  }
  BOOST_TEST(count(table.out, "\n") == 1u + kFrontProfiles.size(), table.out);  // a header, a row per profile
  BOOST_TEST(log_count(front, "udp from") + log_count(back, "udp from") == probes_before,
             "a Probe was sent with --host:\n" << front.log());
  const RunResult& js = runs[1];
  BOOST_TEST(js.exit_code == 0, describe(js));
  const json::object doc = parse_doc(js);
  BOOST_REQUIRE(devices_of(doc).size() == 1u);
  const json::object& d = device_at(doc, front.xaddr());
  check_device_with_profiles(d, front, kFrontProfiles);
  BOOST_TEST(d.at("name").is_null());  // no scopes without discovery
  // The snapshot URI works, read by curl with HTTP Digest as a camera's would be.
  const std::string snapshot = str(profile_of(d, "tok_main").at("snapshot_uri"));
  const RunResult jpeg = run_tool({"curl", "-sS", "--fail", "--max-time", "60", "--digest", "-u",
                                   kUser + ":" + kPassword, "-o", "-", snapshot}, kDeadline);
  BOOST_TEST(jpeg.exit_code == 0, jpeg.err);
  BOOST_TEST(is_jpeg(jpeg.out));
}

// ---- credentials and streams ---------------------------------------------------

BOOST_AUTO_TEST_CASE(check_confirms_codec_and_size_of_every_profile_including_media2_only_h265) {
  const FakeDevice& front = lab().device("front");
  const RunResult& r = front_check_run();
  BOOST_TEST(r.exit_code == 0, describe(r));
  check_no_password(r);
  const json::object doc = parse_doc(r);
  const json::object& d = device_at(doc, front.xaddr());
  check_device_with_profiles(d, front, kFrontProfiles);
  for (const Expected& e : kFrontProfiles) {
    const json::object& p = profile_of(d, "tok_" + e.name);
    BOOST_TEST_CONTEXT("profile " << e.name << ": " << json::serialize(p)) {
      BOOST_REQUIRE(p.at("check").is_object());
      const json::object& c = p.at("check").as_object();
      BOOST_TEST(c.at("exit_code").as_int64() == 0);
      BOOST_TEST(c.at("error").is_null());
      BOOST_TEST(str(c.at("codec")) == e.codec);
      BOOST_TEST(c.at("width").as_int64() == e.width);
      BOOST_TEST(c.at("height").as_int64() == e.height);
      BOOST_TEST(c.at("keyframe_ms").as_int64() >= 0);
    }
  }
  // An independent reader of the H.265 profile's URI: ffprobe.
  const std::string h265 = str(profile_of(d, "tok_h265").at("stream_uri"));
  const RunResult probe = run_tool({"ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
                                    "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", h265},
                                   kDeadline);
  BOOST_TEST(probe.exit_code == 0, describe(probe));
  BOOST_TEST(probe.out == "hevc,1280,720\n", probe.out);
}

// A profile whose stream is not there: --check says 5 for it, and the run's
// status is the worst of its profiles'.
BOOST_AUTO_TEST_CASE(check_of_a_missing_stream_exits_5) {
  const FakeDevice& dev = lab().device("missing-mount");
  const RunResult r = discover({"--json", "--check", "--host", dev.host(), "--user", kUser}, password_env(kPassword));
  BOOST_TEST(r.exit_code == 5, describe(r));
  const json::object doc = parse_doc(r);
  const json::object& d = device_at(doc, dev.xaddr());
  BOOST_TEST(d.at("error").is_null());
  const json::value& good = profile_of(d, "tok_main").at("check");
  const json::value& gone = profile_of(d, "tok_gone").at("check");
  BOOST_REQUIRE(good.is_object());
  BOOST_REQUIRE(gone.is_object());
  BOOST_TEST(good.at("exit_code").as_int64() == 0, json::serialize(good));
  BOOST_TEST(gone.at("exit_code").as_int64() == 5, json::serialize(gone));
  BOOST_TEST(gone.at("error").is_string());
}

BOOST_AUTO_TEST_CASE(a_camera_three_hours_ahead_still_authenticates_and_its_offset_is_reported) {
  const FakeDevice& clock = lab().device("clock");
  const auto runs = discover_side_by_side({
      {{"--json", "--host", clock.host(), "--user", kUser}, password_env(kPassword)},
      {{"--host", clock.host(), "--user", kUser}, password_env(kPassword)},
  });
  const RunResult& r = runs[0];
  BOOST_TEST(r.exit_code == 0, describe(r));
  const json::object doc = parse_doc(r);
  const json::object& d = device_at(doc, clock.xaddr());
  check_device_with_profiles(d, clock, kDefaultProfiles);
  const auto offset = d.at("clock_offset_s").as_int64();
  BOOST_TEST(offset >= 10800 - 3);
  BOOST_TEST(offset <= 10800 + 3);
  BOOST_TEST(log_count(clock, "refused[") == 0u, clock.log());
  BOOST_TEST(log_count(clock, "auth=ok[") >= 2 * 5u, clock.log());
  // The table run says so on stderr.
  const RunResult& table = runs[1];
  BOOST_TEST(table.exit_code == 0, describe(table));
  BOOST_TEST(table.err.find("the camera's clock is +108") != std::string::npos, describe(table));
  BOOST_TEST(count(table.out, kCameraBase + "/h264 ") == 1u, table.out);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_exits_4_after_one_refusal_and_is_never_printed) {
  const FakeDevice& front = lab().device("front");
  const FakeDevice& digest = lab().device("http-digest");
  TempDir dir;
  const fs::path file = dir.path() / "password";
  write_file(file, kWrongPassword + "\n");
  const std::size_t refused_before = log_count(front, "refused[");
  const auto runs = discover_side_by_side({
      {{"--host", front.host(), "--user", kUser}, password_env(kWrongPassword)},
      {{"--json", "--host", front.host(), "--user", kUser, "--password-file", file.string(), "-vvv"}, kNoPassword},
      {{"--host", digest.host(), "--user", kUser, "-vvv"}, password_env(kWrongPassword)},
  });
  for (const RunResult& r : runs) {
    BOOST_TEST(r.exit_code == 4, describe(r));
    check_no_password(r);
    BOOST_TEST(r.err.find("user '" + kUser + "' refused") != std::string::npos, r.err);
  }
  const json::object doc = parse_doc(runs[1]);
  BOOST_TEST(str(device_at(doc, front.xaddr()).at("error")).find("refused") != std::string::npos);
  // One refused request per run: a camera may lock the account after a few.
  BOOST_TEST(log_count(front, "refused[") - refused_before == 2u, front.log());
}

BOOST_AUTO_TEST_CASE(nothing_answering_exits_3_after_the_wait) {
  const int closed = closed_port();
  const auto runs = discover_side_by_side({
      // The multicast group on a port where no device listens.
      {{"--wait", "1.5", "--discovery-port", "3703"}, kNoPassword},
      {{"--json", "--wait", "1.5", "--probe", "127.0.0.1:" + std::to_string(closed)}, kNoPassword},
      {{"--host", "127.0.0.1:" + std::to_string(closed)}, kNoPassword},
  });
  for (const RunResult& r : runs) BOOST_TEST(r.exit_code == 3, describe(r));
  BOOST_TEST(runs[0].seconds >= 1.4, runs[0].seconds);
  BOOST_TEST(runs[1].seconds >= 1.4, runs[1].seconds);
  BOOST_TEST(runs[0].out == "");
  BOOST_TEST(runs[0].err.find("no ONVIF device answered within 1.5 s") != std::string::npos, runs[0].err);
  BOOST_TEST(devices_of(parse_doc(runs[1])).empty());
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_and_an_unwritable_stdout_exits_7) {
  const FakeDevice& front = lab().device("front");
  const auto runs = discover_side_by_side({
      {{"--host", "127.0.0.1:99999"}, kNoPassword},
      {{"--host", front.host(), "--wait", "3"}, kNoPassword},  // --host asks no one to wait
      {{"--format", "xml"}, kNoPassword},
      {{"--interface", "nosuch0", "--wait", "1"}, kNoPassword},
  });
  for (const RunResult& r : runs) {
    BOOST_TEST(r.exit_code == 2, describe(r));
    BOOST_TEST(r.out == "");
  }
  const std::string tool = resolve_program("cctv-discover").string();
  const RunResult full = run_tool({"sh", "-c", "exec \"$0\" \"$@\" > /dev/full", tool, "--json", "--host", front.host(),
                                   "--user", kUser, "--timeout", "30"},
                                  kDeadline, password_env(kPassword));
  BOOST_TEST(full.exit_code == 7, describe(full));
}

// Issue 17: "lists each device: address, its ONVIF service address, scopes
// (name, hardware, location)". The table, the default output, shows neither
// the service address nor the location (they are in --json only).
BOOST_AUTO_TEST_CASE(the_table_shows_service_address_location_and_hardware) {
  const FakeDevice& dev = lab().device("clock");
  const RunResult r = discover({"--probe", dev.udp, "--wait", "10", "--user", kUser}, password_env(kPassword));
  BOOST_TEST(r.exit_code == 0, describe(r));
  BOOST_TEST(r.out.find("Clock Skew") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("FakeCam-1") != std::string::npos, "no hardware in the table:\n" << r.out);
  BOOST_TEST(r.out.find(dev.xaddr()) != std::string::npos, "no service address in the table:\n" << r.out);
  BOOST_TEST(r.out.find("Server Room") != std::string::npos, "no location in the table:\n" << r.out);
}

// ---- quirks ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(xaddrs_with_a_dead_https_url_first_use_the_http_one) {
  const FakeDevice& dev = lab().device("xaddrs-multiple");
  const RunResult r =
      discover({"--json", "--wait", "10", "--probe", dev.udp, "--user", kUser}, password_env(kPassword));
  BOOST_TEST(r.exit_code == 0, describe(r));
  const json::object doc = parse_doc(r);
  BOOST_REQUIRE(devices_of(doc).size() == 1u);
  check_device_with_profiles(device_at(doc, dev.xaddr()), dev, kDefaultProfiles);
  BOOST_TEST(str(devices_of(doc).at(0).at("name")) == "Two XAddrs");
  BOOST_TEST(log_count(dev, "XAddrs https://127.0.0.1:") >= 1u, dev.log());  // the quirk was on
}

BOOST_AUTO_TEST_CASE(xaddrs_naming_0_0_0_0_use_the_address_that_answered) {
  const FakeDevice& dev = lab().device("xaddrs-zero");
  const auto runs = discover_side_by_side({
      {{"--json", "--wait", "10", "--probe", dev.udp, "--user", kUser}, password_env(kPassword)},
      {{"--json", "--host", dev.host(), "--user", kUser}, password_env(kPassword)},
  });
  for (const RunResult& r : runs) {
    BOOST_TEST(r.exit_code == 0, describe(r));
    const json::object doc = parse_doc(r);
    BOOST_REQUIRE(devices_of(doc).size() == 1u);
    check_device_with_profiles(device_at(doc, dev.xaddr()), dev, kDefaultProfiles);
    BOOST_TEST(r.out.find("0.0.0.0") == std::string::npos, r.out);
  }
  BOOST_TEST(log_count(dev, "XAddrs http://0.0.0.0:") >= 1u, dev.log());  // the quirk was on
}

BOOST_AUTO_TEST_CASE(uris_with_amp_and_whitespace_are_decoded_trimmed_and_play) {
  const FakeDevice& dev = lab().device("uri-quirks");
  const RunResult r =
      discover({"--json", "--check", "--host", dev.host(), "--user", kBlankUser}, password_env(kPassword));
  BOOST_TEST(r.exit_code == 0, describe(r));
  const json::object doc = parse_doc(r);
  const json::object& d = device_at(doc, dev.xaddr());
  check_device_with_profiles(d, dev, kDefaultProfiles, "?channel=1&subtype=0");
  for (const Expected& e : kDefaultProfiles) {
    const json::value& c = profile_of(d, "tok_" + e.name).at("check");
    BOOST_TEST_CONTEXT("profile " << e.name << ": " << json::serialize(c)) {
      BOOST_REQUIRE(c.is_object());
      BOOST_TEST(c.at("exit_code").as_int64() == 0);
      BOOST_TEST(str(c.at("codec")) == e.codec);
    }
  }
}

BOOST_AUTO_TEST_CASE(odd_namespace_prefixes_are_read_by_namespace) {
  const FakeDevice& dev = lab().device("odd-prefixes");
  const RunResult r =
      discover({"--json", "--wait", "10", "--probe", dev.udp, "--user", kUser}, password_env(kPassword));
  BOOST_TEST(r.exit_code == 0, describe(r));
  const json::object doc = parse_doc(r);
  BOOST_REQUIRE(devices_of(doc).size() == 1u);
  const json::object& d = device_at(doc, dev.xaddr());
  check_device_with_profiles(d, dev, kDefaultProfiles);
  BOOST_TEST(str(d.at("name")) == "Odd Prefixes");
  BOOST_TEST(str(d.at("hardware")) == "FakeCam-1");
  BOOST_TEST(str(d.at("location")) == "bench");
  BOOST_TEST(str(d.at("model")) == "FakeCam-1");
}

BOOST_AUTO_TEST_CASE(http_digest_is_answered_together_with_the_ws_security_token) {
  const FakeDevice& dev = lab().device("http-digest");
  const RunResult r = discover({"--json", "--host", dev.host(), "--user", kUser, "-vvv"}, password_env(kPassword));
  BOOST_TEST(r.exit_code == 0, describe(r));
  check_no_password(r);
  const json::object doc = parse_doc(r);
  check_device_with_profiles(device_at(doc, dev.xaddr()), dev, kDefaultProfiles);
  // Digest and the token both passed on the operations that need them.
  BOOST_TEST(log_count(dev, "auth=ok[http-digest user " + kUser + ", ws-security user " + kUser + "]") >= 5u,
             dev.log());
}

// ---- settings for the per-camera units ---------------------------------------------

namespace {

// The assignments systemd's own environment-file parser reads from `file`
// (the environment.d generator: the parser of EnvironmentFile=, plus $VAR
// expansion, which values without '$' do not meet), as KEY -> value.
// systemd itself cannot run here: no service manager in a test.
std::map<std::string, std::string> read_by_systemd(const fs::path& file) {
  const fs::path generator = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator";
  BOOST_REQUIRE_MESSAGE(fs::exists(generator), generator << " is missing: cannot check the file with systemd");
  TempDir config;
  fs::create_directories(config.path() / "environment.d");
  fs::copy_file(file, config.path() / "environment.d" / "zz-cctv.conf");
  const RunResult r = run_tool({"env", "-i", "XDG_CONFIG_HOME=" + config.path().string(), generator.string()}, 30s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
  BOOST_TEST(r.err == "", r.err);
  // It prints KEY=VALUE, VALUE in double quotes with \-escapes when it needs them.
  std::map<std::string, std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq == std::string::npos || !line.starts_with("CCTV_")) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
      std::string u;
      for (std::size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && i + 2 < v.size()) ++i;
        u += v[i];
      }
      v = u;
    }
    out[line.substr(0, eq)] = v;
  }
  return out;
}

// The CCTV_ variables that a POSIX shell gets from sourcing `file`.
std::map<std::string, std::string> read_by_sh(const fs::path& file) {
  const RunResult r = run_tool({"env", "-i", "sh", "-c", "set -a; . \"$1\"; env", "sh", file.string()}, 30s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
  BOOST_TEST(r.err == "", r.err);
  std::map<std::string, std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("CCTV_")) out[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
  }
  return out;
}

// Each line a comment, blank, or KEY=VALUE with a shell-style name.
void check_env_file_lines(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("#")) continue;
    const auto eq = line.find('=');
    BOOST_TEST_INFO("line: " << line);
    BOOST_REQUIRE(eq != std::string::npos);
    const std::string key = line.substr(0, eq);
    BOOST_TEST(key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == std::string::npos);
    BOOST_TEST((key == "CCTV_URL" || key == "CCTV_USER"));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(conf_output_is_read_back_by_systemd_and_by_sh) {
  const FakeDevice& front = lab().device("front");
  const FakeDevice& quirks = lab().device("uri-quirks");
  const auto runs = discover_side_by_side({
      {{"--format", "conf", "--host", front.host(), "--user", kUser}, password_env(kPassword)},
      {{"--format", "conf", "--host", quirks.host(), "--user", kBlankUser}, password_env(kPassword)},
  });
  TempDir dir;
  for (const RunResult& r : runs) {
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
    check_no_password(r);
    check_env_file_lines(r.out);
    BOOST_TEST(count(r.out, "CCTV_URL=") == 1u, r.out);
  }
  // The main profile: the largest picture, the first of equals.
  const fs::path front_conf = dir.path() / "front.conf";
  write_file(front_conf, runs[0].out);
  const std::map<std::string, std::string> want_front = {{"CCTV_URL", kCameraBase + "/h264"}, {"CCTV_USER", kUser}};
  BOOST_TEST((read_by_systemd(front_conf) == want_front), runs[0].out);
  BOOST_TEST((read_by_sh(front_conf) == want_front), runs[0].out);
  // A query with '&' and a user name with a blank, as systemd reads them back.
  // Not by sh: the format is EnvironmentFile='s (cctv-tools(7)), where '&'
  // needs no quotes, as CCTV_RECORD_ARGS=--segment-time 10m in the
  // example file is not shell either.
  const fs::path quirks_conf = dir.path() / "quirks.conf";
  write_file(quirks_conf, runs[1].out);
  const std::map<std::string, std::string> want_quirks = {{"CCTV_URL", kCameraBase + "/h264?channel=1&subtype=0"},
                                                          {"CCTV_USER", kBlankUser}};
  BOOST_TEST((read_by_systemd(quirks_conf) == want_quirks), runs[1].out);
}
