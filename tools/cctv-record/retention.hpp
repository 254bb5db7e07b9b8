// SPDX-License-Identifier: MIT
// Retention: which files are this camera's segments, and which of them to delete.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <regex>
#include <string_view>
#include <vector>

namespace cctv::record {

// Recognises exactly the names an output pattern produces (expand_pattern()
// in cctv/output.hpp, with the "-2" .. "-999" suffix the recorder adds before
// the extension when a name is taken), so retention never touches anything
// else in the folder: numeric fields have strftime's widths (%Y 4 digits,
// %H 2, %j 3, %e space-padded), names (%a %A %b %B %p) are the current
// locale's, %z is [+-]hhmm, and %F %T %R %D %c %x %X %r are made of those.
// A pattern with a conversion it does not know (or an E modifier) matches
// nothing: when in doubt the file is kept. Pure apart from the locale; logs nothing.
class PatternMatcher {
 public:
  // `pattern` with {name} already substituted.
  explicit PatternMatcher(std::string_view pattern);
  // The folder above the pattern's first field: where the segments live.
  const std::filesystem::path& root() const { return root_; }
  // False when the pattern holds a conversion the matcher does not know:
  // then matches() is always false and retention deletes nothing.
  bool recognises_names() const { return re_.has_value(); }
  // True when `p` (under root(), spelled as the recorder spells its paths)
  // is a name the pattern produces.
  bool matches(const std::filesystem::path& p) const;

 private:
  std::filesystem::path root_;
  std::optional<std::regex> re_;  // over the path relative to root_; nullopt: matches nothing
};

struct RetentionLimits {
  std::optional<std::chrono::seconds> keep;
  std::optional<std::uint64_t> max_size;  // bytes, this camera's segments in total
  std::optional<double> min_free;         // percent of the filesystem
  bool any() const { return keep || max_size || min_free; }
};

struct SegmentFile {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::filesystem::file_time_type mtime;
};

struct FsSpace {
  std::uint64_t total = 0;
  std::uint64_t available = 0;
};

// The files to delete, oldest (by mtime) first: those older than `keep`,
// then the oldest while the total (`current` included) exceeds max_size,
// then the oldest while less than min_free percent of `space` is free
// (each deletion counted as freeing its size). `current`, the file being
// written, is never chosen. With `at_least_one`, the oldest file is chosen
// when the limits choose none (disk full). Pure.
std::vector<std::filesystem::path> plan_deletions(std::vector<SegmentFile> files, const std::filesystem::path& current,
                                                  const RetentionLimits& limits, std::filesystem::file_time_type now,
                                                  std::optional<FsSpace> space, bool at_least_one = false);

struct RetentionResult {
  int files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::filesystem::path> deleted;  // as listed (absolute, normal)
};

// The matcher's files under its root: regular files only, never a symbolic
// link, never below a linked folder.
std::vector<SegmentFile> list_segments(const PatternMatcher& m);

// Removes `dir` and its parents below `root` while they are empty (old date folders).
void remove_empty_folders(std::filesystem::path dir, const std::filesystem::path& root);

// Lists the matcher's files under its root (regular files only: never a
// symbolic link, never below a linked folder), deletes what plan_deletions()
// chooses, then the folders (below root) that became empty; logs each
// deletion. Failures to delete are logged and skipped.
RetentionResult apply_retention(const PatternMatcher& m, const std::filesystem::path& current,
                                const RetentionLimits& limits, bool at_least_one = false);

}  // namespace cctv::record
