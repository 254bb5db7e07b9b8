// SPDX-License-Identifier: MIT
// Writing results: output name patterns, atomic files, and pipes that may close.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "cctv/error.hpp"

namespace cctv {

// The widest %N field (`%20N`): more digits than a long has. check_pattern()
// refuses wider ones; expand_pattern() caps them.
inline constexpr int kMaxSequenceWidth = 20;

// Expands an output pattern: `%N` is the sequence number `seq`, `%4N` the same
// zero-padded to 4 digits; every other field is strftime(3)'s in local time
// (`%Y%m%d-%H%M%S`); `%%` is a literal %. Pure apart from the time zone.
[[nodiscard]] std::string expand_pattern(std::string_view pattern, std::chrono::system_clock::time_point t,
                                         long seq);

// Replaces every `{name}` in `pattern` by `name` (a camera name), doubling
// any `%` in the name so that a later expand_pattern() keeps it literal.
// Pure. The caller rejects names holding '/'.
[[nodiscard]] std::string substitute_name(std::string_view pattern, std::string_view name);

// Writes `data` to a temporary file beside `path` and renames it into place,
// so a reader (nginx, a cron job) never sees half a file and a failed write
// leaves the previous file untouched. The temporary file has an
// unpredictable name and is created with O_EXCL (never through a planted
// link). What is at `path` decides: nothing or a regular file is replaced; a
// device or a FIFO is written into (a FIFO nobody reads is an error); a
// symbolic link or a folder is an error (kOutput), left as it is. Errors:
// kOutput with the path and strerror; the temporary file is removed.
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> data);

// Fails with kOutput when write_file_atomic(path) would (missing or
// read-only folder, no permission, a link or a folder at `path`), so tools
// fail at start, not after the first grab. Creates and removes a temporary file.
[[nodiscard]] Status check_can_create(const std::filesystem::path& path);

// A new, empty file beside `path` for a result written over time (a clip),
// to be renamed onto `path` when whole: an unpredictable name
// (".NAME.XXXXXX.tmp"), created with O_EXCL (never a file or a link that was
// there), mode 0644 under the umask, close-on-exec. The caller owns `fd` and
// removes the file if it gives up. Errors: kOutput with the path and strerror.
struct TempFile {
  std::string path;
  int fd = -1;
};
[[nodiscard]] Result<TempFile> create_temp_beside(const std::filesystem::path& path);

// Fails with kUsage when an output pattern cannot be expanded (a %N wider
// than 20 digits).
[[nodiscard]] Status check_pattern(std::string_view pattern);

// Writes everything to `fd`, retrying short writes and EINTR. Returns false
// when the reader went away (EPIPE: `| head`), an Error (kOutput) for any
// other failure. SIGPIPE must be ignored (install_signal_handlers does).
[[nodiscard]] Result<bool> write_all(int fd, std::span<const std::uint8_t> data, std::string_view what);

}  // namespace cctv
