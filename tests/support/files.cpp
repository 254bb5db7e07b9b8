// SPDX-License-Identifier: MIT
// Where the built tools and fixture clips are, and TempDir.
#include "support.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace cctv::test {

std::filesystem::path bin_dir() { return CCTV_BIN_DIR; }

std::filesystem::path media_dir() { return CCTV_MEDIA_DIR; }

TempDir::TempDir() {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::filesystem::path base = (tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp";
  std::string pattern = (base / "cctv-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot make a temporary directory in " + base.string() + ": " +
                             std::strerror(errno));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace cctv::test
