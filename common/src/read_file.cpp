// SPDX-License-Identifier: MIT
// read_small_file(): regular files only, bounded, never blocking on a FIFO.
#include "cctv/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace cctv {

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  const auto error = [&path](std::string cause) {
    return fail(ExitCode::kUsage, "cannot read '" + path.string() + "'", std::move(cause));
  };
  // O_NONBLOCK: opening a FIFO without a writer returns at once (fstat then refuses it).
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return error(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return error("not a regular file");
  }
  std::string bytes(max_bytes + 1, '\0');
  size_t got = 0;
  int err = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (err != 0) return error(std::strerror(err));
  if (got > max_bytes) return error(fmt::format("larger than {} bytes", max_bytes));
  bytes.resize(got);
  return bytes;
}

}  // namespace cctv
