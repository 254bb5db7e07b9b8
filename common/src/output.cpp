// SPDX-License-Identifier: MIT
// Output patterns, atomic file replacement and EPIPE-aware writes.
#include "cctv/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace cctv {

namespace {

Error output_error(const std::filesystem::path& p, int err) {
  return {ExitCode::kOutput, "cannot write '" + p.string() + "'", std::strerror(err)};
}

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
      int width = 0;
      std::from_chars(p.data() + i + 1, p.data() + j, width);  // check_pattern() rejects the too wide
      out += fmt::format("{:0{}}", seq, std::clamp(width, 0, kMaxSequenceWidth));
      i = j;
    } else {
      out += p.substr(i, 2);  // "%%" or a strftime field
      ++i;
    }
  }
  return out;
}

// The mode a file created with 0644 gets under this process's umask.
mode_t file_mode() {
  static const mode_t mode = [] {
    const mode_t mask = ::umask(022);
    ::umask(mask);
    return static_cast<mode_t>(0644 & ~mask);
  }();
  return mode;
}

}  // namespace

Result<TempFile> create_temp_beside(const std::filesystem::path& path) {
  constexpr size_t kKeep = 200;  // of the name, so the temporary one stays under NAME_MAX
  const std::string name = path.filename().string().substr(0, kKeep);
  TempFile t{(path.parent_path() / fmt::format(".{}.XXXXXX.tmp", name)).string()};
  t.fd = ::mkostemps(t.path.data(), 4, O_CLOEXEC);
  if (t.fd < 0) return fail(output_error(path, errno));
  if (::fchmod(t.fd, file_mode()) != 0) {
    const int err = errno;
    ::close(t.fd);
    ::unlink(t.path.c_str());
    return fail(output_error(path, err));
  }
  return t;
}

namespace {

// What is at `path` now, without following a link.
enum class Existing { kNothing, kRegular, kLink, kDirectory, kOther };

Existing existing(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Existing::kNothing;
  if (S_ISREG(st.st_mode)) return Existing::kRegular;
  if (S_ISLNK(st.st_mode)) return Existing::kLink;
  if (S_ISDIR(st.st_mode)) return Existing::kDirectory;
  return Existing::kOther;  // a device, a FIFO, a socket
}

Error not_replaced(const std::filesystem::path& p, Existing what) {
  if (what == Existing::kLink) {
    return {ExitCode::kOutput, "'" + p.string() + "' is a symbolic link; it is not replaced",
            "give the link's target, or remove the link"};
  }
  return output_error(p, EISDIR);
}

// Writes into what is already at `path` (a device, a FIFO): never creates,
// truncates or replaces it. A FIFO nobody reads is an error, not a hang.
Status write_into(const std::filesystem::path& path, std::span<const std::uint8_t> data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO) return fail(ExitCode::kOutput, "cannot write '" + path.string() + "'", "nothing reads it");
    return fail(output_error(path, errno));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  auto written = write_all(fd, data, "'" + path.string() + "'");
  const int close_rc = ::close(fd);
  if (!written) return fail(written.error());
  if (!*written) return fail(output_error(path, EPIPE));
  if (close_rc != 0) return fail(output_error(path, errno));
  return {};
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
  switch (const Existing what = existing(path)) {
    case Existing::kLink:
    case Existing::kDirectory: return fail(not_replaced(path, what));
    case Existing::kOther: return write_into(path, data);
    case Existing::kNothing:
    case Existing::kRegular: break;
  }
  auto tmp = create_temp_beside(path);
  if (!tmp) return fail(tmp.error());
  auto written = write_all(tmp->fd, data, "'" + path.string() + "'");
  const int close_rc = ::close(tmp->fd);
  const int close_errno = errno;
  if (!written || !*written || close_rc != 0) {
    ::unlink(tmp->path.c_str());
    if (!written) return fail(written.error());
    return fail(output_error(path, close_rc != 0 ? close_errno : EIO));
  }
  // rename() replaces a link or a node put there since the check above, never
  // what it points to.
  if (::rename(tmp->path.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp->path.c_str());
    return fail(output_error(path, err));
  }
  return {};
}

Status check_can_create(const std::filesystem::path& path) {
  switch (const Existing what = existing(path)) {
    case Existing::kLink:
    case Existing::kDirectory: return fail(not_replaced(path, what));
    case Existing::kOther: return {};  // written into, later: a FIFO may get its reader then
    case Existing::kNothing:
    case Existing::kRegular: break;
  }
  auto tmp = create_temp_beside(path);
  if (!tmp) return fail(tmp.error());
  ::close(tmp->fd);
  ::unlink(tmp->path.c_str());
  return {};
}

Status check_pattern(std::string_view pattern) {
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    size_t j = i + 1;
    while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') ++j;
    if (j > i + 1 && j < pattern.size() && pattern[j] == 'N') {
      int width = 0;
      const auto [end, ec] = std::from_chars(pattern.data() + i + 1, pattern.data() + j, width);
      if (ec != std::errc() || width > kMaxSequenceWidth) {
        return fail(ExitCode::kUsage, fmt::format("'{}': the width of %N is at most {}",
                                                  pattern.substr(i, j - i + 1), kMaxSequenceWidth));
      }
    }
    if (pattern[i + 1] == '%') ++i;  // "%%": a literal %
  }
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
