// SPDX-License-Identifier: MIT
// Every tool given what a careless admin or a careful attacker would give it
// (issue 18): passwords that break URLs, NaN, odd password files and output
// paths. Each case shows the old behaviour is gone.
#define BOOST_TEST_MODULE hostile_input_integration
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A secret fragment that no message of ours contains by chance.
constexpr std::string_view kSecret = "Qz7cr3t";

// Each tool's argv before its URL, outputs in `dir`.
std::vector<std::vector<std::string>> every_tool(const fs::path& dir) {
  return {
      {"cctv-probe"},
      {"cctv-grab", "-o", (dir / "s.jpg").string()},
      {"cctv-mjpeg-serve", "--listen", "127.0.0.1:0"},
      {"cctv-hls", "-o", dir.string()},
      {"cctv-record", "-o", (dir / "%H%M%S.mkv").string()},
  };
}

std::vector<std::string> with(std::vector<std::string> argv, std::initializer_list<std::string> more) {
  argv.insert(argv.end(), more);
  return argv;
}

bool is_char_device(const char* p) {
  struct stat st {};
  return ::lstat(p, &st) == 0 && S_ISCHR(st.st_mode);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(a_password_that_breaks_the_url_is_never_printed) {
  TempDir t;
  for (const std::string sep : {"/", "?", "#", " ", "@/"}) {
    const std::string url = "rtsp://admin:x" + sep + std::string(kSecret) + "@127.0.0.1:9/stream";
    for (const auto& tool : every_tool(t.path())) {
      const auto r = run_tool(with(tool, {url}), 60s);
      BOOST_TEST_CONTEXT(tool.front() << " " << url) {
        BOOST_TEST(r.exit_code == 2, r.err);
        BOOST_TEST(r.err.find(kSecret) == std::string::npos, r.err);
        BOOST_TEST(r.out.find(kSecret) == std::string::npos, r.out);
        BOOST_TEST(r.err.find("percent-encoded") != std::string::npos, r.err);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(nan_and_infinity_are_refused_wherever_a_number_is_read) {
  TempDir t;
  const fs::path d = t.path();
  const std::string src = "lavfi:testsrc2=size=160x120:rate=5";
  const std::vector<std::vector<std::string>> cases = {
      {"cctv-probe", "--timeout"},        {"cctv-probe", "--sample"},
      {"cctv-grab", "--timeout"},         {"cctv-grab", "--interval"},
      {"cctv-grab", "--stall-timeout"},   {"cctv-mjpeg-serve", "--fps"},
      {"cctv-mjpeg-serve", "--timeout"},  {"cctv-hls", "--segment-time"},
      {"cctv-hls", "--stall-timeout"},    {"cctv-record", "--segment-time"},
      {"cctv-record", "--stall-timeout"},
  };
  for (const auto& c : cases) {
    for (const std::string value : {"nan", "inf", "-inf"}) {
      std::vector<std::string> argv = {c[0], c[1], value};
      if (c[0] == "cctv-hls") argv.insert(argv.end(), {"-o", d.string()});
      if (c[0] == "cctv-record") argv.insert(argv.end(), {"-o", (d / "%H%M%S.mkv").string()});
      if (c[0] == "cctv-grab") argv.insert(argv.end(), {"-o", (d / "s.jpg").string()});
      if (c[0] == "cctv-mjpeg-serve") argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
      argv.push_back(src);
      const auto r = run_tool(argv, 60s);
      BOOST_TEST_CONTEXT(c[0] << " " << c[1] << " " << value) {
        BOOST_TEST(r.exit_code == 2, r.err);
        BOOST_TEST(r.err.find(c[1]) != std::string::npos, r.err);
      }
    }
  }
  BOOST_TEST(fs::is_empty(d));  // nothing ran
}

BOOST_AUTO_TEST_CASE(a_password_file_must_be_a_regular_file_holding_a_password) {
  TempDir t;
  const fs::path fifo = t.path() / "fifo";  // no writer: reading it would block for ever
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const fs::path blank = t.path() / "blank";
  write_file(blank, "\nsecond\n");
  for (const fs::path& file : {t.path(), fs::path("/dev/null"), fs::path("/dev/zero"), fifo, blank}) {
    const auto r = run_tool({"cctv-probe", "--user", "admin", "--password-file", file.string(), "rtsp://127.0.0.1:9/x"},
                            60s);
    BOOST_TEST_CONTEXT(file) {
      BOOST_TEST(!r.timed_out);
      BOOST_TEST(r.exit_code == 2, r.err);
      BOOST_TEST(r.err.find("password file") != std::string::npos, r.err);
    }
  }
}

BOOST_AUTO_TEST_CASE(exit_codes_are_the_documented_ones) {
  TempDir t;
  // A %N wider than any number: a usage error, not "internal error".
  const auto wide = run_tool({"cctv-grab", "-o", (t.path() / "x%2147483648N.jpg").string(), "lavfi:testsrc2"}, 60s);
  BOOST_TEST(wide.exit_code == 2, wide.err);
  BOOST_TEST(wide.err.find("internal error") == std::string::npos, wide.err);
  // The live server's login, token and TLS files: regular files only.
  const fs::path fifo = t.path() / "fifo";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const auto& [option, file] : std::vector<std::pair<std::string, fs::path>>{
           {"--basic-auth-file", t.path()}, {"--token-file", "/dev/zero"}, {"--tls-cert", fifo}}) {
    std::vector<std::string> argv = {"cctv-mjpeg-serve", "--listen", "127.0.0.1:0", option, file.string()};
    if (option == "--tls-cert") argv.insert(argv.end(), {"--tls-key", file.string()});
    argv.push_back("lavfi:testsrc2");
    const auto r = run_tool(argv, 60s);
    BOOST_TEST_CONTEXT(option << " " << file) {
      BOOST_TEST(!r.timed_out);
      BOOST_TEST(r.exit_code == 2, r.err);
      BOOST_TEST(r.err.find("not a regular file") != std::string::npos, r.err);
    }
  }
  // A --stream reader that goes away before the first frame: exit 0, as for
  // one that goes away later.
  const std::string grab = (bin_dir() / "cctv-grab").string();
  const auto gone = run_tool({"bash", "-c", grab + " --stream lavfi:testsrc2 | true; exit ${PIPESTATUS[0]}"}, 60s);
  BOOST_TEST(gone.exit_code == 0, gone.err);
  // Schemes are case-insensitive.
  Camera cam;
  std::string url = cam.url("h264");
  url.replace(0, 4, "RTSP");
  const auto upper = run_tool({"cctv-probe", url}, 60s);
  BOOST_TEST(upper.exit_code == 0, upper.err);
  BOOST_TEST(upper.out.find("h264") != std::string::npos, upper.out);
}

BOOST_AUTO_TEST_CASE(grab_never_replaces_a_link_a_device_or_a_fifo) {
  TempDir t;
  const std::string src = "lavfi:testsrc2=size=160x120:rate=5";
  // A link: refused at start (exit 7); the link and its target stay.
  const fs::path target = t.path() / "precious.txt";
  write_file(target, "keep me");
  const fs::path link = t.path() / "snap.jpg";
  fs::create_symlink(target, link);
  const auto l = run_tool({"cctv-grab", "-o", link.string(), src}, 60s);
  BOOST_TEST(l.exit_code == 7, l.err);
  BOOST_TEST(l.err.find("symbolic link") != std::string::npos, l.err);
  BOOST_TEST(fs::is_symlink(link));
  BOOST_TEST(slurp(target) == "keep me");
  // A device: written into. /dev/full says the disk is full (exit 7) and is
  // still the device afterwards (the old rename replaced it when root).
  const auto full = run_tool({"cctv-grab", "-o", "/dev/full", src}, 60s);
  BOOST_TEST(full.exit_code == 7, full.err);
  BOOST_TEST(is_char_device("/dev/full"));
  // A FIFO: written into, and still a FIFO; its reader gets the JPEG.
  const fs::path fifo = t.path() / "frames";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  Process reader({"bash", "-c", "cat " + fifo.string() + " | head -c 2 | od -An -tx1"});
  // The reader's open() returns once a writer opens: grab finds it there
  // because it is started after it, whatever the delay.
  const std::string fifo_grab = (bin_dir() / "cctv-grab").string() + " -o " + fifo.string() + " " + src;
  bool written = false;
  poll_until(60s, [&] {
    written = run_tool({"bash", "-c", fifo_grab}, 60s).exit_code == 0;
    return written;
  }, 200ms);
  BOOST_TEST(written);
  const auto line = reader.read_line(30s);
  BOOST_TEST(line.value_or("") == " ff d8");  // a JPEG's first bytes
  struct stat st {};
  BOOST_REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  BOOST_TEST(S_ISFIFO(st.st_mode));
}

BOOST_AUTO_TEST_SUITE_END()
