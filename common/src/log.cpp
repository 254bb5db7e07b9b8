// SPDX-License-Identifier: MIT
// Levelled stderr logging, one write(2) per line, journald priorities under systemd.
#include "cctv/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "cctv/url.hpp"

namespace cctv {

namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::string g_tool = "cctv";
bool g_journal = false;

std::string_view level_word(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kTrace: return "trace";
    case LogLevel::kQuiet: break;
  }
  return "";
}

// sd-daemon(3) priorities: 3 err, 4 warning, 5 notice, 6 info, 7 debug.
char journal_priority(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return '3';
    case LogLevel::kWarning: return '4';
    case LogLevel::kNotice: return '5';
    case LogLevel::kInfo: return '6';
    default: return '7';
  }
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (LogLevel l : {LogLevel::kQuiet, LogLevel::kError, LogLevel::kWarning, LogLevel::kNotice, LogLevel::kInfo,
                     LogLevel::kDebug, LogLevel::kTrace}) {
    if (text == (l == LogLevel::kQuiet ? std::string_view("quiet") : level_word(l))) {
      out = l;
      return true;
    }
  }
  return false;
}

void log_init(std::string_view tool, LogLevel level) {
  g_tool = tool;
  g_level = level;
  const char* js = std::getenv("JOURNAL_STREAM");
  g_journal = js != nullptr && *js != '\0';
}

LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }

bool log_enabled(LogLevel level) {
  return level != LogLevel::kQuiet && level <= g_level.load(std::memory_order_relaxed);
}

void log_line(LogLevel level, std::string_view message) {
  std::string line;
  line.reserve(message.size() + 32);
  if (g_journal) {
    line += '<';
    line += journal_priority(level);
    line += '>';
  } else {
    line += g_tool;
    line += ": ";
  }
  line += level_word(level);
  line += ": ";
  line += redact(message);
  line += '\n';
  // One write per line keeps lines whole when several threads log.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cctv
