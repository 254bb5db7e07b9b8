// SPDX-License-Identifier: MIT
// Man pages and bash/zsh/fish completions generated from a tool's CLI11 definition.
#include "cctv/docs.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cctv/cli.hpp"
#include "cctv/error.hpp"

#ifndef CCTV_VERSION
#define CCTV_VERSION "unknown"
#endif

namespace cctv::docs {
namespace {

// ---------------------------------------------------------------------------
// Reading the CLI11 definition

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

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

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

// ---------------------------------------------------------------------------
// roff

// Decodes the UTF-8 sequence at s[i] and advances i past it; a malformed
// sequence yields U+FFFD and skips its first byte only.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i++]);
  if (lead < 0x80) return lead;
  const std::size_t extra = (lead & 0xE0) == 0xC0   ? 1
                            : (lead & 0xF0) == 0xE0 ? 2
                            : (lead & 0xF8) == 0xF0 ? 3
                                                    : 0;
  if (extra == 0 || i + extra > s.size()) return 0xFFFD;
  std::uint32_t cp = lead & (0x3F >> extra);
  for (std::size_t k = 0; k < extra; ++k) {
    const auto cont = static_cast<unsigned char>(s[i + k]);
    if ((cont & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (cont & 0x3F);
  }
  i += extra;
  return cp;
}

// Text safe anywhere in a roff line: backslashes printable, hyphens as \-
// (so option names search and paste as ASCII), non-ASCII as \[uXXXX], control
// characters dropped.
std::string roff_escape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = next_code_point(s, i);
    if (cp == '\\') {
      out += "\\e";
    } else if (cp == '-') {
      out += "\\-";
    } else if (cp == '\t') {
      out += ' ';
    } else if (cp >= 0x80) {
      out += fmt::format("\\[u{:04X}]", cp);
    } else if (cp >= 0x20 && cp != 0x7F) {
      out += static_cast<char>(cp);
    }
  }
  return out;
}

// A text line: a leading dot or quote would make it a request.
std::string roff_line(std::string_view escaped) {
  if (!escaped.empty() && (escaped.front() == '.' || escaped.front() == '\'')) {
    return "\\&" + std::string(escaped);
  }
  return std::string(escaped);
}

std::string bold(std::string_view s) { return "\\fB" + roff_escape(s) + "\\fR"; }
std::string italic(std::string_view s) { return "\\fI" + roff_escape(s) + "\\fR"; }

// "\fBa\fR, \fBb\fR or \fBc\fR".
std::string bold_list(const std::vector<std::string>& items, std::string_view last_sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? fmt::format(" {} ", last_sep) : std::string(", ");
    out += bold(items[i]);
  }
  return out;
}

// A description as a sentence: CLI11 descriptions usually lack the period.
std::string sentence(std::string_view s) {
  std::string out = one_line(s);
  if (!out.empty() && out.back() != '.' && out.back() != '!' && out.back() != '?') out += '.';
  return out;
}

// "\fB\-t\fR, \fB\-\-timeout\fR \fISECONDS\fR", the .TP tag of an option.
std::string man_option_tag(const OptionDoc& d) {
  std::vector<std::string> names;
  for (const auto& name : dashed_names(d)) names.push_back(bold(name));
  std::string tag = join(names, ", ");
  if (!d.takes_value()) return tag;
  std::string value = italic(d.metavar) + (d.repeatable ? "..." : "");
  return tag + (d.optional_value ? "[=" + value + "]" : " " + value);
}

std::string man_positional_tag(const OptionDoc& d) {
  return italic(d.positional) + (d.repeatable ? "..." : "");
}

// The paragraph under a .TP tag, one roff text line per sentence.
std::vector<std::string> man_option_body(const OptionDoc& d) {
  std::vector<std::string> lines;
  if (!d.description.empty()) lines.push_back(roff_line(roff_escape(sentence(d.description))));
  if (!d.choices.empty()) lines.push_back("Allowed values: " + bold_list(d.choices, "or") + ".");
  if (!d.range_min.empty()) lines.push_back("Range: " + bold(d.range_min) + " to " + bold(d.range_max) + ".");
  if (!d.default_value.empty()) lines.push_back("Default: " + bold(d.default_value) + ".");
  if (!d.excludes.empty()) lines.push_back("Cannot be used with " + bold_list(d.excludes, "or") + ".");
  if (!d.needs.empty()) lines.push_back("Requires " + bold_list(d.needs, "and") + ".");
  if (!d.envname.empty()) lines.push_back("Also read from the environment variable " + bold(d.envname) + ".");
  if (d.required && d.named()) lines.push_back("Required.");
  if (d.repeatable && !d.takes_value()) lines.push_back("May be given more than once.");
  return lines;
}

void append_tp(std::vector<std::string>& lines, std::string tag, const std::vector<std::string>& body) {
  lines.push_back(".TP");
  lines.push_back(std::move(tag));
  lines.insert(lines.end(), body.begin(), body.end());
}

// A .SS request; its argument is quoted, so quotes inside become \(dq.
std::string man_subsection(std::string_view title) {
  std::string escaped = roff_escape(title);
  std::string out = ".SS \"";
  for (char c : escaped) out += c == '"' ? std::string("\\(dq") : std::string(1, c);
  return out + "\"";
}

// The groups of `named` in order of first appearance.
std::vector<std::string> group_names(const std::vector<const OptionDoc*>& named) {
  std::vector<std::string> groups;
  for (const auto* d : named) {
    if (std::find(groups.begin(), groups.end(), d->group) == groups.end()) groups.push_back(d->group);
  }
  return groups;
}

// Positionals first, then the named options by group, each group a .SS
// subsection when there is more than one.
std::string man_options(const std::vector<OptionDoc>& docs) {
  std::vector<std::string> lines;
  const auto positionals = positionals_of(docs);
  const auto named = named_of(docs);
  const auto groups = group_names(named);
  const bool subsections = groups.size() > 1;
  if (subsections && !positionals.empty()) lines.push_back(man_subsection("Arguments"));
  for (const auto* d : positionals) append_tp(lines, man_positional_tag(*d), man_option_body(*d));
  for (const auto& group : groups) {
    if (subsections) lines.push_back(man_subsection(group));
    for (const auto* d : named) {
      if (d->group == group) append_tp(lines, man_option_tag(*d), man_option_body(*d));
    }
  }
  return join(lines, "\n");
}

// "\fBcctv\-probe\fR [\fIOPTION\fR]... \fIURL\fR..." with required options
// spelled out, one roff text line per word group.
std::string man_synopsis(const std::vector<OptionDoc>& docs, std::string_view tool) {
  std::vector<std::string> lines{bold(tool)};
  bool any_optional = false;
  for (const auto* d : named_of(docs)) {
    if (!d->required) {
      any_optional = true;
      continue;
    }
    std::string name = bold(d->longs.empty() ? "-" + d->shorts.front() : "--" + d->longs.front());
    lines.push_back(d->takes_value() ? name + " " + italic(d->metavar) : name);
  }
  if (any_optional) lines.insert(lines.begin() + 1, "[" + italic("OPTION") + "]...");
  for (const auto* d : positionals_of(docs)) {
    std::string arg = man_positional_tag(*d);
    lines.push_back(d->required ? arg : "[" + arg + "]");
  }
  return join(lines, "\n");
}

std::string man_exit_status() {
  std::vector<std::string> lines;
  for (const auto& info : kExitCodes) {
    append_tp(lines, bold(std::to_string(to_int(info.code))), {roff_line(roff_escape(info.meaning))});
  }
  return join(lines, "\n");
}

std::string man_environment() {
  std::vector<std::string> lines;
  for (const auto& var : kEnvironment) {
    append_tp(lines, bold(var.name), {roff_line(roff_escape(sentence(var.meaning)))});
  }
  if (lines.empty()) lines.push_back("None.");
  return join(lines, "\n");
}

// Replaces every `key` in `text`. A block (requests) takes the whole line the
// key stands on, or removes that line when the block is empty. Inline text is
// guarded against becoming a request when it lands at a line start.
void substitute(std::string& text, std::string_view key, const std::string& value, bool block) {
  for (std::size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos)) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    const std::size_t end = pos + key.size();
    if (block && value.empty() && line_start && (end == text.size() || text[end] == '\n')) {
      text.erase(pos, end < text.size() ? key.size() + 1 : key.size());
      continue;
    }
    std::string replacement = line_start && !block ? roff_line(value) : value;
    text.replace(pos, key.size(), replacement);
    pos += replacement.size();
  }
}

// A comment saying where the page comes from, after any '\" preprocessor line.
void add_generated_comment(std::string& page, std::string_view tool) {
  std::string comment = fmt::format(
      ".\\\" Generated by \"{} --generate man\" from man/{}.1.in; run scripts/regen-docs.\n", tool, tool);
  std::size_t at = 0;
  if (page.starts_with("'\\\"")) {
    std::size_t nl = page.find('\n');
    at = nl == std::string::npos ? page.size() : nl + 1;
  }
  page.insert(at, comment);
}

std::string build_man_page(const CLI::App& app, const ToolSpec& spec) {
  const auto docs = collect(app);
  std::string page = spec.man_template;
  substitute(page, "@NAME@", roff_escape(spec.name), false);
  substitute(page, "@SUMMARY@", roff_escape(spec.summary), false);
  substitute(page, "@VERSION@", roff_escape(CCTV_VERSION), false);
  substitute(page, "@SYNOPSIS@", man_synopsis(docs, spec.name), true);
  substitute(page, "@OPTIONS@", man_options(docs), true);
  substitute(page, "@EXIT_STATUS@", man_exit_status(), true);
  substitute(page, "@ENVIRONMENT@", man_environment(), true);
  add_generated_comment(page, spec.name);
  return page;
}

// ---------------------------------------------------------------------------
// Shell quoting shared by the completions

bool is_safe_char(char c) {
  constexpr std::string_view kPunctuation = "_.,+/@%=^-";
  return std::isalnum(static_cast<unsigned char>(c)) || kPunctuation.find(c) != std::string_view::npos;
}

bool is_safe_word(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_safe_char);
}

// 'text' for POSIX shells (bash, zsh): a quote becomes '\''.
std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A word with every character outside a small safe set backslash-escaped, so
// a later word splitting and expansion (compgen -W, zsh's "(a b)" action,
// fish's -a) gives it back unchanged. Whitespace survives only in zsh and fish.
std::string backslash_word(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!is_safe_char(c)) out += '\\';
    out += c;
  }
  return out;
}

std::string backslash_words(const std::vector<std::string>& values) {
  std::vector<std::string> words;
  for (const auto& v : values) words.push_back(backslash_word(v));
  return join(words, " ");
}

std::string generated_header(std::string_view shell, std::string_view tool) {
  return fmt::format(
      "# {} completion for {}.\n"
      "# Generated by \"{} --generate {}\"; do not edit, run scripts/regen-docs.\n",
      shell, tool, tool, shell);
}

// ---------------------------------------------------------------------------
// bash

// "_cctv_probe" for "cctv-probe".
std::string bash_function_name(std::string_view tool) {
  std::string out = "_";
  for (char c : tool) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// The command that fills COMPREPLY with the values of `kind`, or "" for a
// free value, where there is nothing to offer.
std::string bash_reply(ValueKind kind, const std::vector<std::string>& choices) {
  switch (kind) {
    case ValueKind::kChoice:
      return "mapfile -t COMPREPLY < <(compgen -W " + sh_quote(backslash_words(choices)) + " -- \"$cur\")";
    case ValueKind::kFile:
      return "compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")";
    case ValueKind::kDir:
      return "compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- \"$cur\")";
    default:
      return {};
  }
}

// The case arms completing option values, e.g. for --transport. Free values
// share one arm that offers nothing, so the next word is not mistaken for an
// option or a URL.
std::string bash_value_arms(const std::vector<OptionDoc>& docs) {
  std::string arms;
  std::vector<std::string> free;
  for (const auto* d : named_of(docs)) {
    if (!d->takes_value()) continue;
    std::string reply = bash_reply(d->kind, d->choices);
    std::string names = join(dashed_names(*d), "|");
    if (reply.empty()) {
      free.push_back(names);
      continue;
    }
    arms += "        " + names + ")\n            " + reply + "\n            return 0\n            ;;\n";
  }
  if (!free.empty()) arms += "        " + join(free, "|") + ")\n            return 0\n            ;;\n";
  return arms;
}

std::string bash_option_words(const std::vector<OptionDoc>& docs) {
  std::vector<std::string> words;
  for (const auto* d : named_of(docs)) {
    for (const auto& name : dashed_names(*d)) words.push_back(name);
  }
  return sh_quote(join(words, " "));
}

// What a word that is not an option completes to: the positional's values,
// files (a URL may be a file path), or the options when there is no positional.
std::string bash_default_reply(const std::vector<OptionDoc>& docs) {
  auto positionals = positionals_of(docs);
  if (positionals.empty()) return "mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")";
  const OptionDoc& p = *positionals.front();
  return bash_reply(p.kind == ValueKind::kText ? ValueKind::kFile : p.kind, p.choices);
}

std::string build_bash(const CLI::App& app, const ToolSpec& spec) {
  const auto docs = collect(app);
  const std::string arms = bash_value_arms(docs);
  const std::string fn = bash_function_name(spec.name);
  const std::string tool = is_safe_word(spec.name) ? spec.name : sh_quote(spec.name);
  return generated_header("bash", spec.name) + fmt::format(R"(
{fn}()
{{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=
    local opts={opts}
    (( COMP_CWORD > 0 )) && prev=${{COMP_WORDS[COMP_CWORD-1]}}
    # With '=' in COMP_WORDBREAKS, "--opt=val" arrives as three words.
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
        prev=${{COMP_WORDS[COMP_CWORD-2]}}
    fi
    COMPREPLY=()
    case $prev in
{arms}    esac
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        return 0
    fi
    {default_reply}
}}
complete -F {fn} {tool}
)",
      fmt::arg("fn", fn), fmt::arg("opts", bash_option_words(docs)), fmt::arg("arms", arms),
      fmt::arg("default_reply", bash_default_reply(docs)), fmt::arg("tool", tool));
}

// ---------------------------------------------------------------------------
// zsh

// Text inside an _arguments spec: backslash, brackets and colons escaped.
std::string zsh_spec_text(std::string_view s) {
  std::string out;
  for (char c : one_line(s)) {
    if (c == '\\' || c == '[' || c == ']' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_action(const OptionDoc& d) {
  switch (d.kind) {
    case ValueKind::kChoice:
      return "(" + backslash_words(d.choices) + ")";
    case ValueKind::kFile:
      return "_files";
    case ValueKind::kDir:
      return "_files -/";
    default:
      return " ";  // a message only: nothing to complete
  }
}

// '-t+' / '--timeout=' say where the value may go (same word or the next);
// an optional value must share the word.
std::string zsh_name_form(const OptionDoc& d, const std::string& dashed) {
  if (!d.takes_value()) return dashed;
  const bool is_long = dashed.starts_with("--");
  if (d.optional_value) return dashed + (is_long ? "=-" : "-");
  return dashed + (is_long ? "=" : "+");
}

// One _arguments spec, e.g. '(-t --timeout)'{-t+,--timeout=}'[desc]:SECONDS: '.
// The parenthesised list names what may not follow: the option's aliases
// (unless it may repeat, '*') and the options it excludes.
std::string zsh_option_spec(const OptionDoc& d) {
  std::vector<std::string> names = dashed_names(d);
  std::vector<std::string> forms;
  for (const auto& n : names) forms.push_back(zsh_name_form(d, n));
  std::vector<std::string> excluded = d.repeatable || names.size() == 1 ? std::vector<std::string>{} : names;
  excluded.insert(excluded.end(), d.excludes.begin(), d.excludes.end());
  std::string prefix = excluded.empty() ? "" : "(" + join(excluded, " ") + ")";
  if (d.repeatable) prefix += "*";
  std::string rest = "[" + zsh_spec_text(d.description) + "]";
  if (d.takes_value()) {
    rest += (d.optional_value ? "::" : ":") + zsh_spec_text(d.metavar) + ":" + zsh_action(d);
  }
  if (forms.size() == 1) return sh_quote(prefix + forms.front() + rest);
  return (prefix.empty() ? "" : sh_quote(prefix)) + "{" + join(forms, ",") + "}" + sh_quote(rest);
}

// Positional specs: "1:URL:_files", or "*:URL:_files" for a repeating one.
std::string zsh_positional_spec(const OptionDoc& d, std::size_t index) {
  std::string action = d.kind == ValueKind::kChoice || d.kind == ValueKind::kDir ? zsh_action(d) : "_files";
  std::string position = d.repeatable ? "*" : std::to_string(index);
  std::string colon = !d.required && !d.repeatable ? "::" : ":";
  return sh_quote(position + colon + zsh_spec_text(d.positional) + ":" + action);
}

std::string build_zsh(const CLI::App& app, const ToolSpec& spec) {
  const auto docs = collect(app);
  std::vector<std::string> specs;
  for (const auto* d : named_of(docs)) specs.push_back(zsh_option_spec(*d));
  std::size_t index = 0;
  for (const auto* d : positionals_of(docs)) specs.push_back(zsh_positional_spec(*d, ++index));
  const std::string fn = "_" + spec.name;
  std::string header = generated_header("zsh", spec.name);
  return fmt::format(R"(#compdef {tool}
{header}
{fn}() {{
  _arguments -s -S \
    {specs}
}}

# Autoloaded through fpath, this file is the function's body: run it.
# Sourced, it registers the function instead.
if [[ $funcstack[1] == {fn} ]]; then
  {fn} "$@"
else
  compdef {fn} {tool}
fi
)",
      fmt::arg("tool", spec.name), fmt::arg("header", header), fmt::arg("fn", fn),
      fmt::arg("specs", join(specs, " \\\n    ")));
}

// ---------------------------------------------------------------------------
// fish

// 'text' for fish, where \\ and \' are the escapes inside single quotes.
std::string fish_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

// A fish argument, quoted only when it has to be.
std::string fish_word(std::string_view s) { return is_safe_word(s) ? std::string(s) : fish_quote(s); }

std::string fish_value_flags(const OptionDoc& d) {
  switch (d.kind) {
    case ValueKind::kChoice:
      return (d.optional_value ? " -f -a " : " -x -a ") + fish_quote(backslash_words(d.choices));
    case ValueKind::kFile:
      return d.optional_value ? " -F" : " -r -F";
    case ValueKind::kDir:
      return (d.optional_value ? " -f" : " -x") + std::string(" -a '(__fish_complete_directories)'");
    case ValueKind::kText:
      return d.optional_value ? " -f" : " -x";
    default:
      return "";
  }
}

std::string fish_option_line(const OptionDoc& d, std::string_view tool) {
  std::string line = "complete -c " + fish_word(tool);
  for (const auto& s : d.shorts) line += " -s " + fish_word(s);
  for (const auto& l : d.longs) line += " -l " + fish_word(l);
  line += fish_value_flags(d);
  if (!d.description.empty()) line += " -d " + fish_quote(d.description);
  return line;
}

// Arguments that are not options: the positional's values, files (a URL may
// be a file path), or nothing when the tool takes no positional.
std::string fish_positional_line(const std::vector<OptionDoc>& docs, std::string_view tool) {
  auto positionals = positionals_of(docs);
  std::string line = "complete -c " + fish_word(tool);
  if (positionals.empty()) return line + " -f";
  const OptionDoc& p = *positionals.front();
  if (p.kind == ValueKind::kChoice) return line + " -f -a " + fish_quote(backslash_words(p.choices));
  if (p.kind == ValueKind::kDir) return line + " -f -a '(__fish_complete_directories)'";
  return line + " -F";
}

std::string build_fish(const CLI::App& app, const ToolSpec& spec) {
  const auto docs = collect(app);
  std::string out = generated_header("fish", spec.name);
  out += fish_positional_line(docs, spec.name) + "\n";
  for (const auto* d : named_of(docs)) out += fish_option_line(*d, spec.name) + "\n";
  return out;
}

}  // namespace

std::string man_page(const CLI::App& app, const ToolSpec& spec) {
  return guarded([&] { return build_man_page(app, spec); });
}

std::string bash_completion(const CLI::App& app, const ToolSpec& spec) {
  return guarded([&] { return build_bash(app, spec); });
}

std::string zsh_completion(const CLI::App& app, const ToolSpec& spec) {
  return guarded([&] { return build_zsh(app, spec); });
}

std::string fish_completion(const CLI::App& app, const ToolSpec& spec) {
  return guarded([&] { return build_fish(app, spec); });
}

}  // namespace cctv::docs
