// SPDX-License-Identifier: MIT
// Retention: pattern matching, the deletion plan, and applying it to the disk.
#include "retention.hpp"

#include <langinfo.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/output.hpp"

namespace cctv::record {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSpecial = R"(\^$.|?*+()[]{}/)";

std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (kSpecial.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// The recorder's "-2" .. "-999" before the extension (Recorder::segment_path).
constexpr std::string_view kCollision = "(?:-(?:[2-9]|[1-9][0-9]{1,2}))?";

// The most digits of an unpadded %N: a long has 19 (expand_pattern() pads to
// at most kMaxSequenceWidth).
constexpr int kMaxSeqDigits = 19;

std::optional<std::string> one_of(const std::set<std::string>& words) {
  if (words.empty()) return std::nullopt;
  std::string re = "(?:";
  for (const auto& w : words) {
    if (re.size() > 3) re += '|';
    re += escape(w);
  }
  return re + ")";
}

// The tm member a conversion's output depends on alone, and the member's range.
struct SingleField {
  int std::tm::*member;
  int from, to, step = 1;
};

std::optional<SingleField> single_field(char conv) {
  switch (conv) {
    case 'a': case 'A': case 'u': case 'w': return SingleField{&std::tm::tm_wday, 0, 6};
    case 'b': case 'B': case 'h': case 'm': return SingleField{&std::tm::tm_mon, 0, 11};
    case 'p': case 'P': case 'H': case 'I': case 'k': case 'l': return SingleField{&std::tm::tm_hour, 0, 23};
    case 'd': case 'e': return SingleField{&std::tm::tm_mday, 1, 31};
    case 'M': return SingleField{&std::tm::tm_min, 0, 59};
    case 'S': return SingleField{&std::tm::tm_sec, 0, 60};
    case 'j': return SingleField{&std::tm::tm_yday, 0, 365};
    case 'y': return SingleField{&std::tm::tm_year, 100, 199};
    case 'C': return SingleField{&std::tm::tm_year, -900, 8099, 100};  // years 1000 to 9999
    default: return std::nullopt;
  }
}

// Every string strftime makes of `spec` (one conversion, with its flags,
// width and O modifier) over the range of `f`: the locale's day and month
// names, AM/PM, and numbers padded as strftime pads them.
std::optional<std::string> enumerate(const std::string& spec, const SingleField& f) {
  std::set<std::string> words;
  for (int v = f.from; v <= f.to; v += f.step) {
    std::tm tm{};
    tm.tm_year = 124;  // 2024-01-01, a Monday
    tm.tm_mday = 1;
    tm.tm_wday = 1;
    tm.*f.member = v;
    char buf[256];
    const size_t n = std::strftime(buf, sizeof buf, spec.c_str(), &tm);  // 0: empty (%p in some locales)
    words.emplace(buf, n);
  }
  return one_of(words);
}

std::optional<std::string> pattern_regex(std::string_view p, int depth);

// A locale's format for %c %x %X %r, translated in turn.
std::optional<std::string> locale_format(nl_item item, const char* fallback, int depth) {
  const char* f = ::nl_langinfo(item);
  return pattern_regex(f != nullptr && *f != '\0' ? f : fallback, depth + 1);
}

// The regex for a conversion (without flags, width or modifier) that single_field() does not cover.
std::optional<std::string> plain_regex(char conv, int depth) {
  switch (conv) {
    case 'Y': case 'G': return "[0-9]{4}";
    case 'g': return "[0-9]{2}";
    case 'U': case 'W': return "(?:[0-4][0-9]|5[0-3])";
    case 'V': return "(?:0[1-9]|[1-4][0-9]|5[0-3])";
    case 's': return "(?:0|[1-9][0-9]{0,18})";
    case 'z': return "[+-][0-9]{4}";
    // Letters; tzdata spells zones without a name as numbers ("+03", "-0330").
    case 'Z': return "(?:[A-Za-z]{1,16}|[+-][0-9]{2}(?:[0-9]{2})?)";
    case 'n': return "\n";
    case 't': return "\t";
    case '%': return "%";
    case 'F': return pattern_regex("%Y-%m-%d", depth + 1);
    case 'T': return pattern_regex("%H:%M:%S", depth + 1);
    case 'R': return pattern_regex("%H:%M", depth + 1);
    case 'D': return pattern_regex("%m/%d/%y", depth + 1);
    case 'c': return locale_format(D_T_FMT, "%a %b %e %H:%M:%S %Y", depth);
    case 'x': return locale_format(D_FMT, "%m/%d/%y", depth);
    case 'X': return locale_format(T_FMT, "%H:%M:%S", depth);
    case 'r': return locale_format(T_FMT_AMPM, "%I:%M:%S %p", depth);
    default: return std::nullopt;
  }
}

// expand_pattern()'s %N / %4N at `p[i]` (a '%'): the regex, and where the field ends.
std::optional<std::pair<std::string, size_t>> sequence_field(std::string_view p, size_t i) {
  size_t j = i + 1;
  while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j;
  if (j == p.size() || p[j] != 'N') return std::nullopt;
  int width = 0;
  if (j > i + 1) {
    const auto [end, ec] = std::from_chars(p.data() + i + 1, p.data() + j, width);
    if (ec != std::errc() || width > kMaxSequenceWidth) return std::pair{std::string(), j};  // refused: nothing matches
  }
  return std::pair{fmt::format("[0-9]{{{},{}}}", std::max(width, 1), std::max(width, kMaxSeqDigits)), j};
}

// Translates a pattern (or part of one) into a regex; nullopt when it holds a
// conversion not known here. `depth` > 0: a sub-format strftime expands on its
// own (%F, %c...), where %N means nothing.
std::optional<std::string> pattern_regex(std::string_view p, int depth) {
  if (depth > 3) return std::nullopt;
  std::string re;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%') {
      re += escape(p.substr(i, 1));
      continue;
    }
    if (depth == 0) {
      if (auto seq = sequence_field(p, i)) {
        if (seq->first.empty()) return std::nullopt;
        re += seq->first;
        i = seq->second;
        continue;
      }
    }
    // strftime: %[flags][width][E|O]conversion, as glibc reads it.
    size_t k = i + 1;
    while (k < p.size() && std::string_view("_-0^#").find(p[k]) != std::string_view::npos) ++k;
    const size_t width_at = k;
    while (k < p.size() && std::isdigit(static_cast<unsigned char>(p[k]))) ++k;
    const bool has_width = k > width_at;
    if (k - width_at > 2) return std::nullopt;
    const char modifier = k < p.size() && (p[k] == 'E' || p[k] == 'O') ? p[k++] : '\0';
    if (k == p.size() || modifier == 'E') return std::nullopt;  // a lone '%'; era-dependent fields
    const bool plain = width_at == i + 1 && !has_width && modifier == '\0';  // no flags, width or modifier
    const std::string spec(p.substr(i, k - i + 1));
    const char conv = p[k];
    i = k;
    std::optional<std::string> field;
    if (const auto single = single_field(conv)) {
      field = enumerate(spec, *single);
    } else if (plain) {
      field = plain_regex(conv, depth);
    }
    if (!field) return std::nullopt;
    re += *field;
  }
  return re;
}

std::optional<FsSpace> fs_space(const fs::path& p) {
  struct statvfs st {};
  if (::statvfs(p.c_str(), &st) != 0 || st.f_blocks == 0) return std::nullopt;
  return FsSpace{static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize,
                 static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize};
}

}  // namespace

std::vector<SegmentFile> list_segments(const PatternMatcher& m) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(m.root(), fs::directory_options::skip_permission_denied, ec);
  // Symbolic links are never segments: the recorder writes regular files,
  // and a link's target may be anything (the iterator does not follow
  // linked folders either).
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    const fs::file_status st = it->symlink_status(e2);
    if (e2 || !fs::is_regular_file(st) || !m.matches(it->path())) continue;
    SegmentFile f{it->path().lexically_normal(), it->file_size(e2), it->last_write_time(e2)};
    if (!e2) out.push_back(std::move(f));
  }
  return out;
}

namespace {

bool strictly_below(const fs::path& dir, const fs::path& root) {
  const fs::path rel = dir.lexically_normal().lexically_relative(root);
  return !rel.empty() && rel != "." && *rel.begin() != "..";
}

}  // namespace

void remove_empty_folders(fs::path dir, const fs::path& root) {
  std::error_code ec;
  while (strictly_below(dir, root)) {
    if (!fs::is_empty(dir, ec) || ec || !fs::remove(dir, ec)) return;
    log_info("retention: removed empty folder '{}'", dir.string());
    dir = dir.parent_path();
  }
}

PatternMatcher::PatternMatcher(std::string_view pattern) {
  const fs::path p = fs::absolute(fs::path(pattern)).lexically_normal();
  // root_: the folders before the first component holding a '%'.
  for (const auto& part : p.parent_path()) {
    if (part.string().find('%') != std::string::npos) break;
    root_ /= part;
  }
  const std::string rel = p.lexically_relative(root_).string();
  // The recorder's collision suffix goes before the extension, as
  // std::filesystem splits the name ("x.mp4": ".mp4"; ".x": none).
  const auto slash = rel.rfind('/');
  const size_t name_at = slash == std::string::npos ? 0 : slash + 1;
  const auto dot = rel.rfind('.');
  const bool has_extension = dot != std::string::npos && dot > name_at;
  const auto stem = pattern_regex(std::string_view(rel).substr(0, has_extension ? dot : rel.size()), 0);
  const auto extension = pattern_regex(has_extension ? std::string_view(rel).substr(dot) : std::string_view(), 0);
  if (!stem || !extension || rel.empty()) return;
  try {
    re_.emplace(*stem + std::string(kCollision) + *extension);
  } catch (const std::regex_error&) {
    re_.reset();  // matches nothing
  }
}

bool PatternMatcher::matches(const fs::path& p) const {
  if (!re_) return false;
  const fs::path rel = fs::absolute(p).lexically_normal().lexically_relative(root_);
  if (rel.empty() || *rel.begin() == "..") return false;
  return std::regex_match(rel.string(), *re_);
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
    if (!fs::is_regular_file(fs::symlink_status(p, ec))) continue;  // replaced since it was listed
    const auto size = fs::file_size(p, ec);
    if (!fs::remove(p, ec) || ec) {
      log_warn("retention: cannot delete '{}': {}", p.string(), ec ? ec.message() : "gone");
      continue;
    }
    log_info("retention: deleted '{}'", p.string());
    ++r.files;
    r.bytes += ec ? 0 : size;
    r.deleted.push_back(p);
    remove_empty_folders(p.parent_path(), m.root());
  }
  return r;
}

}  // namespace cctv::record
