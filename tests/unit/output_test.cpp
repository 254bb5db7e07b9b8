// SPDX-License-Identifier: MIT
// Tests for output patterns, atomic files and pipe writes.
#include "cctv/output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include <boost/test/unit_test.hpp>

using namespace cctv;
namespace fs = std::filesystem;

namespace {

struct TmpDir {
  fs::path path = fs::temp_directory_path() / ("cctv-output-test-" + std::to_string(::getpid()));
  TmpDir() { fs::create_directories(path); }
  ~TmpDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(output)

BOOST_AUTO_TEST_CASE(pattern_expands_sequence_and_strftime_fields) {
  setenv("TZ", "UTC", 1);
  tzset();
  const auto t = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14 22:13:20 UTC
  BOOST_TEST(expand_pattern("cam3-%Y%m%d-%H%M%S.jpg", t, 1) == "cam3-20231114-221320.jpg");
  BOOST_TEST(expand_pattern("shot-%N.jpg", t, 7) == "shot-7.jpg");
  BOOST_TEST(expand_pattern("shot-%04N.jpg", t, 7) == "shot-0007.jpg");
  BOOST_TEST(expand_pattern("shot-%3N-%H.jpg", t, 12) == "shot-012-22.jpg");
  BOOST_TEST(expand_pattern("100%%-%N", t, 1) == "100%-1");
  BOOST_TEST(expand_pattern("plain.jpg", t, 3) == "plain.jpg");
}

BOOST_AUTO_TEST_CASE(atomic_write_replaces_the_file_and_leaves_no_temporary) {
  TmpDir d;
  const fs::path p = d.path / "snap.jpg";
  std::ofstream(p) << "old";
  BOOST_REQUIRE(write_file_atomic(p, bytes("new contents")));
  BOOST_TEST(slurp(p) == "new contents");
  BOOST_TEST(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(failed_write_keeps_the_previous_file_and_exits_7) {
  TmpDir d;
  const fs::path p = d.path / "missing-dir" / "snap.jpg";
  auto s = write_file_atomic(p, bytes("x"));
  BOOST_REQUIRE(!s);
  BOOST_TEST(to_int(s.error().code) == 7);
  BOOST_TEST(s.error().message.find("missing-dir") != std::string::npos);
  BOOST_TEST(!check_can_create(p).has_value());
  BOOST_TEST(check_can_create(d.path / "ok.jpg").has_value());
  BOOST_TEST(!fs::exists(d.path / "ok.jpg"));
}

BOOST_AUTO_TEST_CASE(write_to_a_closed_pipe_reports_the_reader_gone) {
  signal(SIGPIPE, SIG_IGN);
  int fds[2];
  BOOST_REQUIRE(pipe(fds) == 0);
  close(fds[0]);
  auto r = write_all(fds[1], bytes("data"), "pipe");
  close(fds[1]);
  BOOST_REQUIRE(r);
  BOOST_TEST(!*r);
}

BOOST_AUTO_TEST_CASE(write_to_a_full_device_is_an_output_error) {
  const int fd = ::open("/dev/full", O_WRONLY);
  BOOST_REQUIRE(fd >= 0);
  auto r = write_all(fd, bytes("data"), "/dev/full");
  close(fd);
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_int(r.error().code) == 7);
}

BOOST_AUTO_TEST_SUITE_END()
