// SPDX-License-Identifier: MIT
// Reads a CLI11 app into OptionDocs, and holds the text helpers the man page and completion generators share.
#include "docs_model.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace cctv::docs::detail {
namespace {

// Splits at `sep` outside {} [] (), so "TEXT:{a:b,c}" keeps its set whole.
std::vector<std::string> split_top_level(std::string_view s, char sep) {
  std::vector<std::string> parts(1);
  int depth = 0;
  for (char c : s) {
    if (c == '{' || c == '[' || c == '(') ++depth;
    if ((c == '}' || c == ']' || c == ')') && depth > 0) --depth;
    if (c == sep && depth == 0) {
      parts.emplace_back();
      continue;
    }
    parts.back() += c;
  }
  return parts;
}

// Length of the {...} group that opens `s`, or 0 when `s` does not start with
// a balanced one.
std::size_t brace_group_length(std::string_view s) {
  if (s.empty() || s.front() != '{') return 0;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i + 1;
  }
  return 0;
}

// The items of `s` when it is exactly one non-empty "{a,b,c}" list.
std::optional<std::vector<std::string>> brace_items(std::string_view s) {
  if (s.size() < 3 || brace_group_length(s) != s.size()) return std::nullopt;
  auto items = split_top_level(s.substr(1, s.size() - 2), ',');
  for (const auto& item : items) {
    if (item.empty()) return std::nullopt;
  }
  return items;
}

// The fixed values one CLI11 validator description allows. IsMember writes
// "{a,b}" (a map's keys only); CheckedTransformer writes
// "value in {a->1,b->2} OR {1,2}", whose keys are what a user types.
// Transformer's bare "{a->1}" lets other values through, so it is no fixed set.
std::optional<std::vector<std::string>> choices_of(std::string_view segment) {
  constexpr std::string_view kChecked = "value in ";
  const bool checked = segment.starts_with(kChecked);
  if (checked) {
    segment.remove_prefix(kChecked.size());
    std::size_t n = brace_group_length(segment);
    if (n == 0 || !segment.substr(n).starts_with(" OR {")) return std::nullopt;
    segment = segment.substr(0, n);
  }
  auto items = brace_items(segment);
  if (!items) return std::nullopt;
  for (auto& item : *items) {
    std::size_t arrow = item.find("->");
    if (checked != (arrow != std::string::npos)) return std::nullopt;
    if (checked) item.resize(arrow);
  }
  return items;
}

// CLI::Range's description "FLOAT in [0.1 - 3600]" as {"0.1", "3600"}.
std::optional<std::pair<std::string, std::string>> range_of(std::string_view segment) {
  std::size_t open = segment.find(" in [");
  if (open == std::string_view::npos || !segment.ends_with(']')) return std::nullopt;
  std::string_view inner = segment.substr(open + 5, segment.size() - open - 6);
  std::size_t dash = inner.find(" - ");
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  return std::pair{std::string(inner.substr(0, dash)), std::string(inner.substr(dash + 3))};
}

// "LEVEL:{quiet,error}" -> metavar "LEVEL", choices {quiet, error};
// "SECONDS:FLOAT in [0.1 - 3600]" -> metavar "SECONDS", range 0.1 to 3600.
// Other validator descriptions ("TEXT:FILE") stay in the metavar, as CLI11's
// --help shows them.
TypeInfo parse_type_name(std::string_view type_name) {
  TypeInfo info;
  std::vector<std::string> rest;
  for (auto& segment : split_top_level(type_name, ':')) {
    auto choices = info.choices.empty() ? choices_of(segment) : std::nullopt;
    auto range = !rest.empty() && info.range_min.empty() ? range_of(segment) : std::nullopt;
    if (choices) {
      info.choices = std::move(*choices);
    } else if (range) {
      std::tie(info.range_min, info.range_max) = std::move(*range);
    } else if (!segment.empty()) {
      rest.push_back(std::move(segment));
    }
  }
  info.metavar = join(rest, ":");
  return info;
}

// Lower-cased alphanumeric words of `s`: "PATH(existing)" -> {path, existing}.
std::vector<std::string> words_of(std::string_view s) {
  std::vector<std::string> words(1);
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

bool has_word(const std::vector<std::string>& words, std::initializer_list<std::string_view> wanted) {
  for (const auto& w : words) {
    for (auto x : wanted) {
      if (w == x) return true;
    }
  }
  return false;
}

// Files for type names and option names that say so: CLI::ExistingFile's
// "FILE", "PATH(existing)", --password-file, -o/--output; directories for
// "DIR" and --segment-dir. Only the last word of a name counts, so
// --file-format is no file.
ValueKind value_kind(const CLI::Option& opt, const TypeInfo& type) {
  if (opt.get_items_expected_max() == 0) return ValueKind::kNone;
  if (!type.choices.empty()) return ValueKind::kChoice;
  std::vector<std::string> words = words_of(type.metavar);
  for (const auto& name : opt.get_lnames()) {
    auto name_words = words_of(name);
    if (!name_words.empty()) words.push_back(name_words.back());
    if (name == "output") words.push_back("file");
  }
  for (const auto& s : opt.get_snames()) {
    if (s == "o") words.push_back("file");
  }
  if (has_word(words, {"dir", "dirs", "directory"})) return ValueKind::kDir;
  if (has_word(words, {"file", "files", "filename", "path", "paths"})) return ValueKind::kFile;
  return ValueKind::kText;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_repeatable(const CLI::Option& opt, bool flag) {
  if (!flag) return opt.get_expected_max() > 1;
  auto policy = opt.get_multi_option_policy();
  return policy == CLI::MultiOptionPolicy::TakeAll || policy == CLI::MultiOptionPolicy::Join;
}

// The names of the visible options in `options`, sorted: a std::set of
// pointers has no stable order of its own.
std::vector<std::string> visible_names(const std::set<CLI::Option*>& options) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : options) {
    if (!opt->get_group().empty() && opt->nonpositional()) names.push_back(opt->get_name());
  }
  std::sort(names.begin(), names.end());
  return names;
}

OptionDoc describe(const CLI::Option& opt) {
  OptionDoc d;
  TypeInfo type = parse_type_name(opt.get_type_name());
  d.shorts = opt.get_snames();
  d.longs = opt.get_lnames();
  if (opt.get_positional()) d.positional = upper(opt.get_name(true));
  d.group = opt.get_group();
  d.description = one_line(opt.get_description());
  d.kind = value_kind(opt, type);
  std::string text = one_line(opt.get_option_text());
  d.metavar = !text.empty() ? text : !type.metavar.empty() ? type.metavar : "VALUE";
  d.choices = std::move(type.choices);
  d.range_min = std::move(type.range_min);
  d.range_max = std::move(type.range_max);
  d.excludes = visible_names(opt.get_excludes());
  d.needs = visible_names(opt.get_needs());
  d.default_value = opt.get_default_str();
  d.envname = opt.get_envname();
  d.optional_value = d.takes_value() && opt.get_items_expected_min() == 0;
  d.repeatable = is_repeatable(opt, !d.takes_value());
  d.required = opt.get_required();
  return d;
}

}  // namespace

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// Collapses runs of whitespace (newlines included) into single spaces.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Every documented option in definition order. CLI11 hides an option by
// giving it an empty group; those (--generate) stay out of all documents.
std::vector<OptionDoc> collect(const CLI::App& app) {
  std::vector<OptionDoc> docs;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;
    if (!opt->nonpositional() && !opt->get_positional()) continue;
    docs.push_back(describe(*opt));
  }
  return docs;
}

std::vector<const OptionDoc*> positionals_of(const std::vector<OptionDoc>& docs) {
  std::vector<const OptionDoc*> out;
  for (const auto& d : docs) {
    if (!d.positional.empty()) out.push_back(&d);
  }
  return out;
}

std::vector<const OptionDoc*> named_of(const std::vector<OptionDoc>& docs) {
  std::vector<const OptionDoc*> out;
  for (const auto& d : docs) {
    if (d.named()) out.push_back(&d);
  }
  return out;
}

// "-t", "--timeout", in CLI11's order: short names first.
std::vector<std::string> dashed_names(const OptionDoc& d) {
  std::vector<std::string> out;
  for (const auto& s : d.shorts) out.push_back("-" + s);
  for (const auto& l : d.longs) out.push_back("--" + l);
  return out;
}

// Runs a generator; only allocation can throw in here, and no exception may
// cross the library's API, so a failure yields an empty document (which the
// docs tests reject loudly).
std::string guarded(const std::function<std::string()>& generate) {
  try {
    return generate();
  } catch (...) {
    return {};
  }
}

}  // namespace cctv::docs::detail
