// SPDX-License-Identifier: MIT
// Tests for output patterns, atomic files and pipe writes.
#include "cctv/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

// --- Never replace what is not a plain file of ours (issue 18) ---------------

BOOST_AUTO_TEST_CASE(a_symlink_at_the_output_is_refused_and_its_target_untouched) {
  TmpDir d;
  const fs::path target = d.path / "precious.txt";
  std::ofstream(target) << "keep me";
  const fs::path link = d.path / "snap.jpg";
  fs::create_symlink(target, link);
  for (const auto& s : {write_file_atomic(link, bytes("jpeg")), check_can_create(link)}) {
    BOOST_REQUIRE(!s);
    BOOST_TEST(to_int(s.error().code) == 7);
    BOOST_TEST(s.error().message.find("symbolic link") != std::string::npos);
  }
  BOOST_TEST(fs::is_symlink(link));
  BOOST_TEST(fs::read_symlink(link) == target);
  BOOST_TEST(slurp(target) == "keep me");
}

BOOST_AUTO_TEST_CASE(a_fifo_at_the_output_is_written_into_not_replaced) {
  TmpDir d;
  const fs::path fifo = d.path / "frames";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Nobody reads it: an output error at once, not a hang.
  auto lonely = write_file_atomic(fifo, bytes("jpeg"));
  BOOST_REQUIRE(!lonely);
  BOOST_TEST(to_int(lonely.error().code) == 7);
  BOOST_TEST(check_can_create(fifo).has_value());  // a reader may come later
  // O_RDWR on a FIFO opens without waiting for a writer (Linux), so the reader is there first.
  const int reader = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  BOOST_REQUIRE(reader >= 0);
  BOOST_REQUIRE(write_file_atomic(fifo, bytes("jpeg bytes")));
  char buf[32] = {};
  const ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  BOOST_TEST(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) == "jpeg bytes");
  struct stat st {};
  BOOST_REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  BOOST_TEST(S_ISFIFO(st.st_mode));
  BOOST_TEST(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(a_device_at_the_output_is_written_into_and_stays_a_device) {
  // /dev/full: the write fails as the device says (disk full, exit 7), and
  // the device is still a device afterwards, even when this runs as root.
  auto full = write_file_atomic("/dev/full", bytes("jpeg"));
  BOOST_REQUIRE(!full);
  BOOST_TEST(to_int(full.error().code) == 7);
  BOOST_TEST(full.error().cause == std::strerror(ENOSPC));
  BOOST_TEST(write_file_atomic("/dev/null", bytes("jpeg")).has_value());
  for (const char* dev : {"/dev/full", "/dev/null"}) {
    struct stat st {};
    BOOST_REQUIRE(::lstat(dev, &st) == 0);
    BOOST_TEST(S_ISCHR(st.st_mode), dev);
  }
}

BOOST_AUTO_TEST_CASE(a_folder_at_the_output_is_an_output_error) {
  TmpDir d;
  auto s = write_file_atomic(d.path, bytes("jpeg"));
  BOOST_REQUIRE(!s);
  BOOST_TEST(to_int(s.error().code) == 7);
  BOOST_TEST(fs::is_directory(d.path));
}

BOOST_AUTO_TEST_CASE(temporary_names_are_unpredictable_and_never_followed) {
  // The old name was ".NAME.PID.tmp": links planted there (and at a few
  // neighbouring PIDs) must not lead the write to their target.
  TmpDir d;
  const fs::path target = d.path / "victim";
  std::ofstream(target) << "keep me";
  const fs::path out = d.path / "snap.jpg";
  for (int pid = ::getpid() - 2; pid <= ::getpid() + 2; ++pid) {
    fs::create_symlink(target, d.path / (".snap.jpg." + std::to_string(pid) + ".tmp"));
  }
  BOOST_REQUIRE(write_file_atomic(out, bytes("new")));
  BOOST_REQUIRE(check_can_create(out));
  BOOST_TEST(slurp(target) == "keep me");
  BOOST_TEST(slurp(out) == "new");
  BOOST_TEST(!fs::is_symlink(out));
  // Only the planted links, the target and the output: no temporary left.
  BOOST_TEST(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 7);
}

BOOST_AUTO_TEST_CASE(sequence_widths_are_bounded) {
  BOOST_TEST(check_pattern("x-%N.jpg").has_value());
  BOOST_TEST(check_pattern("x-%20N-%%2147483648N.jpg").has_value());  // "%%": a literal %
  for (const char* bad : {"x%21N.jpg", "x%2147483648N.jpg", "x%99999999999999999999N.jpg"}) {
    auto s = check_pattern(bad);
    BOOST_TEST_INFO(bad);
    BOOST_REQUIRE(!s);
    BOOST_TEST(to_int(s.error().code) == 2);
  }
  // expand_pattern never throws, whatever it is given, and caps the width.
  BOOST_TEST(expand_pattern("x%25N", {}, 7).size() == 21u);
  BOOST_CHECK_NO_THROW((void)expand_pattern("x%2147483648N", {}, 7));
}

BOOST_AUTO_TEST_CASE(temp_file_beside_is_new_hidden_and_in_the_same_folder) {
  TmpDir dir;
  const fs::path target = dir.path / "clip.mp4";
  auto a = create_temp_beside(target);
  auto b = create_temp_beside(target);
  BOOST_REQUIRE(a.has_value());
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(a->path != b->path);
  BOOST_TEST(fs::path(a->path).parent_path() == dir.path);
  BOOST_TEST(fs::path(a->path).filename().string().rfind(".clip.mp4.", 0) == 0u);
  BOOST_TEST(fs::is_regular_file(a->path));
  BOOST_TEST(!fs::exists(target));
  ::close(a->fd);
  ::close(b->fd);
  auto missing = create_temp_beside(dir.path / "no-such-folder" / "x.mp4");
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(to_int(missing.error().code) == 7);
}

BOOST_AUTO_TEST_SUITE_END()
