// SPDX-License-Identifier: MIT
// Reading the small files a tool is given: passwords, logins, tokens, keys.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "cctv/error.hpp"

namespace cctv {

// The whole of `path`, which must be a regular file (a link to one is fine)
// of at most `max_bytes`: never a FIFO that may have no writer, a device
// without end, or a folder. Errors (kUsage, message "cannot read 'PATH'"):
// the cause is strerror, "not a regular file" or "larger than N bytes".
[[nodiscard]] Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace cctv
