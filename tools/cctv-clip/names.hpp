// SPDX-License-Identifier: MIT
// The recordings of an output pattern: which files are its, and when their names say they start.
#pragma once

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/times.hpp"

namespace cctv::clip {

// A file the pattern produced, with the start its name gives: the earliest
// and latest instants the name can mean (two for a local time in the hour
// repeated when clocks go back; the same for a name with %z or %s). No
// name time when the pattern has no date and hour fields.
struct NamedFile {
  std::filesystem::path path;
  std::optional<WallTime> earliest;
  std::optional<WallTime> latest;
};

// Reads an output pattern ({name} substituted) as cctv-record expands it
// (cctv/output.hpp expand_pattern, with the "-2".."-999" suffix for taken
// names): %Y %m %d %H %M %S %y %j %e %F %T %R %s %z give the time; %N,
// names (%a %b %p...) and %Z are matched without it. Pure apart from TZ
// and the locale.
class NamePattern {
 public:
  explicit NamePattern(std::string_view pattern);
  // The folder above the first field: where the files live.
  const std::filesystem::path& root() const { return root_; }
  // The time the name of `p` gives; nullopt in `out` when the name is not
  // the pattern's. Relative to root(), spelled as listed.
  std::optional<NamedFile> match(const std::filesystem::path& p) const;
  // Whether names carry a date and an hour (else every file is a candidate).
  bool has_time() const { return has_time_; }

 private:
  struct Field {
    char conv;  // the strftime conversion captured by this group
  };
  std::filesystem::path root_;
  std::optional<std::regex> re_;
  std::vector<Field> fields_;
  bool has_time_ = false;
};

// Every regular file under the pattern's root whose name is the pattern's,
// sorted by their earliest name time (files without one first), then path.
std::vector<NamedFile> list_named(const NamePattern& p);

}  // namespace cctv::clip
