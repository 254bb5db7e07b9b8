// SPDX-License-Identifier: MIT
// Where the built tools and fixture clips are, whole-file reads and writes, and TempDir.
#include "support.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace cctv::test {

std::filesystem::path bin_dir() { return CCTV_BIN_DIR; }

std::filesystem::path media_dir() { return CCTV_MEDIA_DIR; }

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write " + p.string());
}

bool is_jpeg(std::string_view b) {
  return b.size() > 4 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8 &&
         static_cast<unsigned char>(b[b.size() - 2]) == 0xFF && static_cast<unsigned char>(b[b.size() - 1]) == 0xD9;
}

std::size_t count(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

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
