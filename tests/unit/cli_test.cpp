// SPDX-License-Identifier: MIT
// Tests for the shared options: credential sources and their precedence.
#include "cctv/cli.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <boost/test/unit_test.hpp>

using namespace cctv;
namespace fs = std::filesystem;

namespace {

struct CleanEnv {
  fs::path dir = fs::temp_directory_path() / ("cctv-cli-test-" + std::to_string(::getpid()));
  CleanEnv() {
    unsetenv("CCTV_PASSWORD");
    unsetenv("CREDENTIALS_DIRECTORY");
    fs::create_directories(dir);
  }
  ~CleanEnv() {
    unsetenv("CCTV_PASSWORD");
    unsetenv("CREDENTIALS_DIRECTORY");
    fs::remove_all(dir);
  }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cli, CleanEnv)

BOOST_AUTO_TEST_CASE(password_file_takes_its_first_line) {
  InputCliOptions o;
  o.user = "admin";
  o.password_file = write("pw", "s3cret\r\nignored\n").string();
  setenv("CCTV_PASSWORD", "from-env", 1);
  BOOST_REQUIRE(resolve_credentials(o));
  BOOST_TEST(o.source.user == "admin");
  BOOST_TEST(o.source.password == "s3cret");
}

BOOST_AUTO_TEST_CASE(environment_password_comes_next) {
  InputCliOptions o;
  o.user = "admin";
  setenv("CCTV_PASSWORD", "from-env", 1);
  write("cctv-password", "from-systemd\n");
  setenv("CREDENTIALS_DIRECTORY", dir.c_str(), 1);
  BOOST_REQUIRE(resolve_credentials(o));
  BOOST_TEST(o.source.password == "from-env");
}

BOOST_AUTO_TEST_CASE(systemd_credential_comes_last) {
  InputCliOptions o;
  write("cctv-password", "from-systemd\n");
  setenv("CREDENTIALS_DIRECTORY", dir.c_str(), 1);
  BOOST_REQUIRE(resolve_credentials(o));
  BOOST_TEST(o.source.password == "from-systemd");
}

BOOST_AUTO_TEST_CASE(unreadable_password_file_is_a_usage_error) {
  InputCliOptions o;
  o.password_file = (dir / "missing").string();
  auto s = resolve_credentials(o);
  BOOST_REQUIRE(!s);
  BOOST_TEST(to_int(s.error().code) == 2);
}

BOOST_AUTO_TEST_CASE(password_file_must_be_a_regular_file_with_a_password) {
  const fs::path fifo = dir / "fifo";  // no writer: reading it would block for ever
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const fs::path huge = write("huge", std::string(100000, 'x'));
  for (const fs::path& p : {dir, fs::path("/dev/null"), fs::path("/dev/zero"), fifo, huge,
                            write("blank", "\nsecond line\n"), write("empty", "")}) {
    InputCliOptions o;
    o.user = "admin";
    o.password_file = p.string();
    auto s = resolve_credentials(o);
    BOOST_TEST_INFO(p);
    BOOST_REQUIRE(!s);
    BOOST_TEST(to_int(s.error().code) == 2);
    BOOST_TEST(s.error().message.find(p.string()) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(decimal_options_refuse_nan_and_infinity) {
  for (const char* bad : {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e999", "0.05", "3601", "5s"}) {
    CLI::App app;
    double v = 0;
    app.add_option("--timeout", v)->check(finite_range(0.1, 3600.0));
    BOOST_TEST_INFO(bad);
    BOOST_CHECK_THROW(app.parse(std::vector<std::string>{bad, "--timeout"}), CLI::ValidationError);
  }
  CLI::App app;
  double v = 0;
  app.add_option("--timeout", v)->check(finite_range(0.1, 3600.0));
  app.parse(std::vector<std::string>{"2.5", "--timeout"});
  BOOST_TEST(v == 2.5);
}

BOOST_AUTO_TEST_SUITE_END()
