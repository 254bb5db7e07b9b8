// SPDX-License-Identifier: MIT
// Durations, sizes and percentages of cctv-record's options.
#include "units.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace cctv::record {

namespace {

// Reads the leading digits of `s` into `out`; false when there are none or they overflow.
bool leading_number(std::string_view& s, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return true;
}

std::optional<std::uint64_t> unit_seconds(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    case 'w': return 7 * 86400;
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  std::uint64_t total = 0;
  if (text.empty()) return std::nullopt;
  while (!text.empty()) {
    std::uint64_t n = 0;
    if (!leading_number(text, n)) return std::nullopt;
    std::uint64_t unit = 1;
    if (!text.empty()) {
      const auto u = unit_seconds(text.front());
      if (!u) return std::nullopt;
      unit = *u;
      text.remove_prefix(1);
    } else if (total != 0) {
      return std::nullopt;  // "1h30": the last number needs its unit
    }
    constexpr std::uint64_t kMax = 100ULL * 365 * 86400;
    if (n > kMax / unit || total + n * unit > kMax) return std::nullopt;
    total += n * unit;
  }
  if (total == 0) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(total));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t n = 0;
  if (!leading_number(text, n) || n == 0) return std::nullopt;
  std::uint64_t mult = 1;
  if (!text.empty()) {
    const std::string_view units = "KMGTP";
    const auto pos = units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(text.front()))));
    if (pos != std::string_view::npos) {
      for (size_t i = 0; i <= pos; ++i) mult *= 1024;
      text.remove_prefix(1);
      if (text == "iB" || text == "ib") text = {};
    }
    if (text == "B" || text == "b") text = {};
  }
  if (!text.empty() || n > UINT64_MAX / mult) return std::nullopt;
  return n * mult;
}

std::optional<double> parse_percent(std::string_view text) {
  if (!text.empty() && text.back() == '%') text.remove_suffix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v > 0 && v < 100)) return std::nullopt;
  return v;
}

}  // namespace cctv::record
