// SPDX-License-Identifier: MIT
// Tests for the shared options: credential sources and their precedence.
#include "cctv/cli.hpp"

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

BOOST_AUTO_TEST_SUITE_END()
