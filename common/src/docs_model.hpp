// SPDX-License-Identifier: MIT
// The option model and helpers shared by the man page and completion generators (private to libcctv).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace cctv::docs::detail {

// What an option's value completes to. kNone: the option is a flag.
enum class ValueKind { kNone, kText, kFile, kDir, kChoice };

// One documented option or positional, flattened from a CLI::Option.
struct OptionDoc {
  std::vector<std::string> shorts;   // "o" for -o
  std::vector<std::string> longs;    // "output" for --output
  std::string positional;            // "URL" when the option is (also) positional
  std::string group;                 // CLI11 group, never empty (hidden ones are dropped)
  std::string description;           // whitespace collapsed to one line
  std::string metavar;               // the type name without its list of choices
  std::vector<std::string> choices;  // fixed values (IsMember, CheckedTransformer)
  std::string range_min, range_max;  // CLI::Range bounds, empty when none
  std::vector<std::string> excludes; // "--fast": options this one cannot be used with
  std::vector<std::string> needs;    // options this one requires
  std::string default_value;
  std::string envname;
  ValueKind kind = ValueKind::kNone;
  bool optional_value = false;  // the value may be left out (expected(0, 1))
  bool repeatable = false;      // a counting flag, or an option collecting a vector
  bool required = false;

  bool named() const { return !shorts.empty() || !longs.empty(); }
  bool takes_value() const { return kind != ValueKind::kNone; }
};

// A type name split into what a human reads and what a shell completes.
struct TypeInfo {
  std::string metavar;
  std::vector<std::string> choices;
  std::string range_min, range_max;
};

// The parts joined with `sep` between each two; "" for no parts.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// `s` with each run of whitespace (newlines included) made one space, and none at either end.
std::string one_line(std::string_view s);

// The visible options and positionals of `app` in definition order; hidden ones (empty group) are left out.
std::vector<OptionDoc> collect(const CLI::App& app);

// Pointers into `docs` to the positionals, in order; valid while `docs` lives.
std::vector<const OptionDoc*> positionals_of(const std::vector<OptionDoc>& docs);

// Pointers into `docs` to the options with a short or long name, in order; valid while `docs` lives.
std::vector<const OptionDoc*> named_of(const std::vector<OptionDoc>& docs);

// The option's names with their dashes, short ones first: {"-t", "--timeout"}.
std::vector<std::string> dashed_names(const OptionDoc& d);

// What `generate` returns, or "" if it throws: no exception leaves the public docs API.
std::string guarded(const std::function<std::string()>& generate);

}  // namespace cctv::docs::detail
