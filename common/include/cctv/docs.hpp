// SPDX-License-Identifier: MIT
// Man pages and shell completions generated from a tool's CLI11 definition.
// Each function returns an empty string if generation fails internally: no
// exception leaves these functions.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cctv/cli.hpp"

namespace cctv::docs {

// The man page: spec.man_template with @NAME@, @SUMMARY@, @VERSION@,
// @SYNOPSIS@, @OPTIONS@, @EXIT_STATUS@ and @ENVIRONMENT@ replaced by roff
// generated from `app`, kExitCodes and kEnvironment. Hidden options (empty
// group) are left out. Deterministic: no dates, so the committed copy diffs
// clean.
[[nodiscard]] std::string man_page(const CLI::App& app, const ToolSpec& spec);

// Completion scripts for bash (complete -F), zsh (#compdef, _arguments) and
// fish (complete -c). Options with a fixed set of values (CLI::IsMember)
// complete those values; options taking files complete files.
[[nodiscard]] std::string bash_completion(const CLI::App& app, const ToolSpec& spec);
[[nodiscard]] std::string zsh_completion(const CLI::App& app, const ToolSpec& spec);
[[nodiscard]] std::string fish_completion(const CLI::App& app, const ToolSpec& spec);

}  // namespace cctv::docs
