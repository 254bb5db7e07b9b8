// SPDX-License-Identifier: MIT
// Retention: pattern matching, the deletion plan, and applying it to the disk.
#include "retention.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <string>
#include <system_error>

#include "cctv/log.hpp"

namespace cctv::record {

namespace fs = std::filesystem;

namespace {

std::string escape(char c) {
  static const std::string_view special = R"(\^$.|?*+()[]{}/)";
  return special.find(c) != std::string_view::npos ? std::string("\\") + c : std::string(1, c);
}

// The regex for one strftime (or %N) conversion.
std::string field_regex(char conv) {
  switch (conv) {
    case 'Y': case 'G': case 's': case 'N': case 'y': case 'C': case 'g':
    case 'm': case 'd': case 'H': case 'M': case 'S': case 'I': case 'j': case 'U': case 'W': case 'V': case 'u': case 'w':
      return "[0-9]+";
    case 'e': case 'k': case 'l': return " ?[0-9]+";
    case 'F': return "[0-9]+-[0-9]+-[0-9]+";
    case 'T': return "[0-9]+:[0-9]+:[0-9]+";
    case 'R': return "[0-9]+:[0-9]+";
    case 'D': case 'x': return "[0-9]+/[0-9]+/[0-9]+";
    case 'z': return "[+-][0-9]+";
    case '%': return "%";
    default: return "[^/]+";  // names of days and months, %Z, %p, ...
  }
}

// Translates a pattern (or part of one) into a regex.
std::string pattern_regex(std::string_view p) {
  std::string re;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%' || i + 1 == p.size()) {
      re += escape(p[i]);
      continue;
    }
    ++i;
    while (i < p.size() && (std::string_view("-_0^#").find(p[i]) != std::string_view::npos || std::isdigit(static_cast<unsigned char>(p[i])))) ++i;
    if (i < p.size() && (p[i] == 'E' || p[i] == 'O')) ++i;
    if (i < p.size()) re += field_regex(p[i]);
  }
  return re;
}

std::optional<FsSpace> fs_space(const fs::path& p) {
  struct statvfs st {};
  if (::statvfs(p.c_str(), &st) != 0 || st.f_blocks == 0) return std::nullopt;
  return FsSpace{static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize,
                 static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize};
}

std::vector<SegmentFile> list_segments(const PatternMatcher& m) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(m.root(), fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (!it->is_regular_file(e2) || !m.matches(it->path())) continue;
    SegmentFile f{it->path().lexically_normal(), it->file_size(e2), it->last_write_time(e2)};
    if (!e2) out.push_back(std::move(f));
  }
  return out;
}

bool strictly_below(const fs::path& dir, const fs::path& root) {
  const fs::path rel = dir.lexically_normal().lexically_relative(root);
  return !rel.empty() && rel != "." && *rel.begin() != "..";
}

// Removes `dir` and its parents below `root` while they are empty (old date folders).
void remove_empty_folders(fs::path dir, const fs::path& root) {
  std::error_code ec;
  while (strictly_below(dir, root)) {
    if (!fs::is_empty(dir, ec) || ec || !fs::remove(dir, ec)) return;
    log_info("retention: removed empty folder '{}'", dir.string());
    dir = dir.parent_path();
  }
}

}  // namespace

PatternMatcher::PatternMatcher(std::string_view pattern) {
  const fs::path p = fs::absolute(fs::path(pattern)).lexically_normal();
  // root_: the folders before the first component holding a '%'.
  for (const auto& part : p.parent_path()) {
    if (part.string().find('%') != std::string::npos) break;
    root_ /= part;
  }
  const std::string rel = p.lexically_relative(root_).string();
  // The recorder's collision suffix goes before the extension.
  const auto slash = rel.rfind('/');
  const auto dot = rel.rfind('.');
  std::string re;
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    re = pattern_regex(rel.substr(0, dot)) + "(-[0-9]+)?" + pattern_regex(rel.substr(dot));
  } else {
    re = pattern_regex(rel) + "(-[0-9]+)?";
  }
  re_ = std::regex(re);
}

bool PatternMatcher::matches(const fs::path& p) const {
  const fs::path rel = fs::absolute(p).lexically_normal().lexically_relative(root_);
  if (rel.empty() || *rel.begin() == "..") return false;
  return std::regex_match(rel.string(), re_);
}

std::vector<fs::path> plan_deletions(std::vector<SegmentFile> files, const fs::path& current,
                                     const RetentionLimits& limits, fs::file_time_type now,
                                     std::optional<FsSpace> space, bool at_least_one) {
  std::sort(files.begin(), files.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
  });
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  std::uint64_t available = space ? space->available : 0;
  std::vector<fs::path> out;
  for (const auto& f : files) {
    if (f.path == current) continue;
    const bool too_old = limits.keep && f.mtime < now - *limits.keep;
    const bool too_big = limits.max_size && total > *limits.max_size;
    const bool too_full = limits.min_free && space && space->total > 0 &&
                          static_cast<double>(available) * 100.0 / static_cast<double>(space->total) < *limits.min_free;
    const bool forced = at_least_one && out.empty();
    // Oldest first: once a file needs no deletion, no newer one does.
    if (!too_old && !too_big && !too_full && !forced) break;
    out.push_back(f.path);
    total -= f.size;
    available += f.size;
  }
  return out;
}

RetentionResult apply_retention(const PatternMatcher& m, const fs::path& current, const RetentionLimits& limits,
                                bool at_least_one) {
  RetentionResult r;
  if (!limits.any() && !at_least_one) return r;
  const fs::path cur = current.empty() ? fs::path() : fs::absolute(current).lexically_normal();
  const auto plan = plan_deletions(list_segments(m), cur, limits, fs::file_time_type::clock::now(), fs_space(m.root()),
                                   at_least_one);
  for (const auto& p : plan) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (!fs::remove(p, ec) || ec) {
      log_warn("retention: cannot delete '{}': {}", p.string(), ec ? ec.message() : "gone");
      continue;
    }
    log_info("retention: deleted '{}'", p.string());
    ++r.files;
    r.bytes += ec ? 0 : size;
    remove_empty_folders(p.parent_path(), m.root());
  }
  return r;
}

}  // namespace cctv::record
