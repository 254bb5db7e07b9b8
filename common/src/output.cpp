// SPDX-License-Identifier: MIT
// Output patterns, atomic file replacement and EPIPE-aware writes.
#include "cctv/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace cctv {

namespace {

// Replaces %N / %<digits>N by the sequence number; leaves other fields
// (doubling nothing) for strftime. "%%" is copied as is so strftime sees it.
std::string expand_sequence(std::string_view p, long seq) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%' || i + 1 == p.size()) {
      out += p[i];
      continue;
    }
    size_t j = i + 1;
    while (j < p.size() && p[j] >= '0' && p[j] <= '9') ++j;
    if (j < p.size() && p[j] == 'N') {
      const int width = j > i + 1 ? std::stoi(std::string(p.substr(i + 1, j - i - 1))) : 0;
      out += fmt::format("{:0{}}", seq, width);
      i = j;
    } else {
      out += p.substr(i, 2);  // "%%" or a strftime field
      ++i;
    }
  }
  return out;
}

std::filesystem::path temp_beside(const std::filesystem::path& path) {
  return path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(), ::getpid());
}

Error output_error(const std::filesystem::path& p, int err) {
  return {ExitCode::kOutput, "cannot write '" + p.string() + "'", std::strerror(err)};
}

}  // namespace

std::string expand_pattern(std::string_view pattern, std::chrono::system_clock::time_point t, long seq) {
  const std::string with_seq = expand_sequence(pattern, seq);
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  std::string out(with_seq.size() * 4 + 64, '\0');
  // An empty result is legal for an empty pattern only; grow for long ones.
  for (int tries = 0; tries < 4; ++tries) {
    const size_t n = std::strftime(out.data(), out.size(), with_seq.c_str(), &tm);
    if (n > 0 || with_seq.empty()) {
      out.resize(n);
      return out;
    }
    out.resize(out.size() * 4);
  }
  return with_seq;
}

std::string substitute_name(std::string_view pattern, std::string_view name) {
  std::string escaped;
  for (const char c : name) escaped += c == '%' ? std::string("%%") : std::string(1, c);
  std::string out;
  constexpr std::string_view kField = "{name}";
  for (size_t i = 0; i < pattern.size();) {
    if (pattern.substr(i, kField.size()) == kField) {
      out += escaped;
      i += kField.size();
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

Status write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> data) {
  const auto tmp = temp_beside(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(output_error(path, errno));
  auto written = write_all(fd, data, path.string());
  const int close_rc = ::close(fd);
  const int close_errno = errno;
  if (!written || !*written || close_rc != 0) {
    ::unlink(tmp.c_str());
    if (!written) return fail(written.error());
    return fail(output_error(path, close_rc != 0 ? close_errno : EIO));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return fail(output_error(path, err));
  }
  return {};
}

Status check_can_create(const std::filesystem::path& path) {
  const auto tmp = temp_beside(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(output_error(path, errno));
  ::close(fd);
  ::unlink(tmp.c_str());
  return {};
}

Result<bool> write_all(int fd, std::span<const std::uint8_t> data, std::string_view what) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) return false;
    if (n < 0) return fail(ExitCode::kOutput, "cannot write " + std::string(what), std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace cctv
