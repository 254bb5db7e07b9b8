// SPDX-License-Identifier: MIT
// The man page: roff generated from a tool's CLI11 definition and filled into its template.
#include "cctv/docs.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cctv/cli.hpp"
#include "cctv/error.hpp"
#include "docs_model.hpp"

#ifndef CCTV_VERSION
#define CCTV_VERSION "unknown"
#endif

namespace cctv::docs {
namespace detail {
namespace {

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

}  // namespace
}  // namespace detail

std::string man_page(const CLI::App& app, const ToolSpec& spec) {
  return detail::guarded([&] { return detail::build_man_page(app, spec); });
}

}  // namespace cctv::docs
