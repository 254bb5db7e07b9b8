// SPDX-License-Identifier: MIT
// Parsing of durations ("10m", "7d"), sizes ("50G") and percentages ("10%") for the options.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cctv::record {

// "90", "90s", "10m", "12h", "7d", "1h30m": a positive whole number of
// seconds; nullopt for anything else (zero included).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// "1048576", "500M", "50G", "2T" (powers of 1024; an optional trailing "B"
// or "iB"): bytes; nullopt for anything else (zero included).
std::optional<std::uint64_t> parse_size(std::string_view text);

// "10" or "10%": a percentage in (0, 100); nullopt otherwise.
std::optional<double> parse_percent(std::string_view text);

}  // namespace cctv::record
