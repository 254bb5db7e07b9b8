// SPDX-License-Identifier: MIT
// Levelled logging to stderr, with journald priority prefixes under systemd.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace cctv {

// kNotice, the default, is for events an operator wants in the journal that
// are not problems (a camera back after an outage).
enum class LogLevel { kQuiet = 0, kError = 1, kWarning = 2, kNotice = 3, kInfo = 4, kDebug = 5, kTrace = 6 };

// Parses "quiet|error|warning|notice|info|debug|trace" into `out`; false when unknown.
bool parse_log_level(std::string_view text, LogLevel& out);

// Configures the process-wide logger: `tool` prefixes every line
// ("cctv-probe: warning: ..."). Under systemd ($JOURNAL_STREAM set) lines carry
// "<N>" priority prefixes instead so journald keeps the levels. Call once from
// main before other threads start.
void log_init(std::string_view tool, LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

// Writes one line (message is redacted of URL credentials). Thread-safe: each
// line is one write(2).
void log_line(LogLevel level, std::string_view message);

// Formats and writes one line when `level` is enabled (arguments are not
// formatted otherwise).
template <typename... Args>
void log_at(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(level)) log_line(level, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_error(fmt::format_string<Args...> f, Args&&... args) { log_at(LogLevel::kError, f, std::forward<Args>(args)...); }
template <typename... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... args) { log_at(LogLevel::kWarning, f, std::forward<Args>(args)...); }
template <typename... Args>
void log_notice(fmt::format_string<Args...> f, Args&&... args) { log_at(LogLevel::kNotice, f, std::forward<Args>(args)...); }
template <typename... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) { log_at(LogLevel::kInfo, f, std::forward<Args>(args)...); }
template <typename... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) { log_at(LogLevel::kDebug, f, std::forward<Args>(args)...); }

}  // namespace cctv
