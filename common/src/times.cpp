// SPDX-License-Identifier: MIT
// Parsing and printing wall-clock times: ISO 8601, today, relative, and DST's ambiguous hours.
#include "cctv/times.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <set>

#include <fmt/format.h>

namespace cctv {

namespace {

using std::chrono::microseconds;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// A small cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  // Exactly `n` digits.
  std::optional<int> digits(int n) {
    if (i + static_cast<size_t>(n) > s.size()) return std::nullopt;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      const char c = s[i + static_cast<size_t>(k)];
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i += static_cast<size_t>(n);
    return v;
  }
};

struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  long micros = 0;
};

bool valid(const Civil& c) {
  using namespace std::chrono;
  const year_month_day ymd{year{c.year}, month{static_cast<unsigned>(c.month)}, day{static_cast<unsigned>(c.day)}};
  return ymd.ok() && c.hour >= 0 && c.hour < 24 && c.minute >= 0 && c.minute < 60 && c.second >= 0 && c.second < 60;
}

sys_seconds civil_seconds(const Civil& c) {
  using namespace std::chrono;
  const sys_days d = year_month_day{year{c.year}, month{static_cast<unsigned>(c.month)}, day{static_cast<unsigned>(c.day)}};
  return d + hours{c.hour} + minutes{c.minute} + seconds{c.second};
}

// "HH:MM[:SS[.ffffff]]" into c's time fields.
bool parse_clock(Cursor& in, Civil& c) {
  auto h = in.digits(2);
  if (!h || !in.eat(':')) return false;
  auto m = in.digits(2);
  if (!m) return false;
  c.hour = *h;
  c.minute = *m;
  if (!in.eat(':')) return true;
  auto s = in.digits(2);
  if (!s) return false;
  c.second = *s;
  if (in.eat('.') || in.eat(',')) {
    int n = 0;
    long frac = 0;
    while (std::isdigit(static_cast<unsigned char>(in.peek()))) {
      if (n < 6) frac = frac * 10 + (in.peek() - '0');
      ++n;
      ++in.i;
    }
    if (n == 0) return false;
    for (int k = n; k < 6; ++k) frac *= 10;
    c.micros = frac;
  }
  return true;
}

// "Z", "+01:00", "+0100", "+01": the offset in seconds; nullopt when there is none;
// false in `ok` when one is there but malformed.
std::optional<long> parse_offset(Cursor& in, bool& ok) {
  ok = true;
  if (in.eat('Z') || in.eat('z')) return 0L;
  const char sign = in.peek();
  if (sign != '+' && sign != '-') return std::nullopt;
  ++in.i;
  auto h = in.digits(2);
  if (!h) return ok = false, std::nullopt;
  int m = 0;
  if (in.eat(':')) {
    auto mm = in.digits(2);
    if (!mm) return ok = false, std::nullopt;
    m = *mm;
  } else if (!in.done()) {
    auto mm = in.digits(2);
    if (!mm) return ok = false, std::nullopt;
    m = *mm;
  }
  if (*h > 23 || m > 59) return ok = false, std::nullopt;
  const long off = *h * 3600L + m * 60L;
  return sign == '-' ? -off : off;
}

std::string offset_text(long off) {
  const long a = std::labs(off);
  return fmt::format("{}{:02}:{:02}", off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
}

std::string zone_name() {
  const char* tz = std::getenv("TZ");
  if (tz != nullptr && *tz != '\0') return *tz == ':' ? tz + 1 : tz;
  return "local time";
}

std::string civil_text(const Civil& c) {
  std::string t = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second);
  if (c.micros != 0) t += fmt::format(".{:06}", c.micros);
  return t;
}

// A local civil time as an instant, or the usage error naming both readings.
Result<WallTime> resolve_local(const Civil& c, std::string_view text) {
  const sys_seconds civil = civil_seconds(c);
  const auto readings = local_readings(civil);
  const microseconds frac{c.micros};
  if (readings.size() == 1) return readings.front() + frac;
  const std::string zone = zone_name();
  if (readings.size() == 2) {
    const long a = utc_offset_at(readings[0]), b = utc_offset_at(readings[1]);
    return fail(ExitCode::kUsage,
                fmt::format("'{}' is ambiguous in {} (clocks go back): {}{} (the first time) or {}{} (an hour "
                            "later); give the offset",
                            text, zone, civil_text(c), offset_text(a), civil_text(c), offset_text(b)));
  }
  // Skipped: read it with the offsets before and after the change.
  const long before = utc_offset_at(WallTime(civil - std::chrono::hours(24))), after = utc_offset_at(WallTime(civil + std::chrono::hours(24)));
  const WallTime r1 = WallTime(civil - seconds(before)) + frac, r2 = WallTime(civil - seconds(after)) + frac;
  return fail(ExitCode::kUsage,
              fmt::format("'{}' does not exist in {} (clocks go forward): {}{} is {}, {}{} is {}; give one of them",
                          text, zone, civil_text(c), offset_text(before), format_local(r1, 0), civil_text(c),
                          offset_text(after), format_local(r2, 0)));
}

Error bad_time(std::string_view text) {
  return {ExitCode::kUsage,
          fmt::format("'{}' is not a time (2026-12-06T10:03:12, ...Z, ...+01:00, 10:03:12, -10m, now)", text), ""};
}

// A unit's length: s m h d w.
std::optional<long long> unit_us(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 's': return 1'000'000LL;
    case 'm': return 60'000'000LL;
    case 'h': return 3'600'000'000LL;
    case 'd': return 86'400'000'000LL;
    case 'w': return 7 * 86'400'000'000LL;
    default: return std::nullopt;
  }
}

}  // namespace

long utc_offset_at(WallTime t) {
  const std::time_t tt = std::chrono::floor<seconds>(t).time_since_epoch().count();
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm.tm_gmtoff;
}

std::vector<WallTime> local_readings(sys_seconds civil) {
  // Every offset in force within a day of it is a candidate; a reading is
  // real when local time at that instant has that very offset.
  std::set<long> offsets;
  for (int h = -26; h <= 26; h += 2) offsets.insert(utc_offset_at(WallTime(civil + std::chrono::hours(h))));
  std::vector<WallTime> out;
  for (const long off : offsets) {
    const WallTime instant(civil - seconds(off));
    if (utc_offset_at(instant) == off) out.push_back(instant);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<WallTime> parse_time(std::string_view text, WallTime now) {
  if (text == "now") return now;
  if (!text.empty() && text[0] == '-') {
    auto d = parse_duration_us(text.substr(1));
    if (!d) return fail(bad_time(text));
    return now - *d;
  }
  Cursor in{text};
  Civil c;
  if (text.size() >= 3 && text[2] == ':') {
    // A time of today.
    if (!parse_clock(in, c) || !in.done()) return fail(bad_time(text));
    const std::time_t tt = std::chrono::floor<seconds>(now).time_since_epoch().count();
    std::tm tm{};
    localtime_r(&tt, &tm);
    c.year = tm.tm_year + 1900;
    c.month = tm.tm_mon + 1;
    c.day = tm.tm_mday;
    if (!valid(c)) return fail(bad_time(text));
    return resolve_local(c, text);
  }
  auto y = in.digits(4);
  if (!y || !in.eat('-')) return fail(bad_time(text));
  auto mo = in.digits(2);
  if (!mo || !in.eat('-')) return fail(bad_time(text));
  auto d = in.digits(2);
  if (!d) return fail(bad_time(text));
  c.year = *y;
  c.month = *mo;
  c.day = *d;
  if (!(in.eat('T') || in.eat('t') || in.eat(' ')) || !parse_clock(in, c)) return fail(bad_time(text));
  bool ok = true;
  const auto off = parse_offset(in, ok);
  if (!ok || !in.done() || !valid(c)) return fail(bad_time(text));
  if (off) return WallTime(civil_seconds(c) - seconds(*off)) + microseconds(c.micros);
  return resolve_local(c, text);
}

Result<std::chrono::microseconds> parse_duration_us(std::string_view text) {
  const Error bad{ExitCode::kUsage, fmt::format("'{}' is not a duration (90s, 10m, 1h30m, 2.5s)", text), ""};
  if (text.empty()) return fail(bad);
  // One number, possibly with a fraction and a unit.
  if (text.find_first_of(".,") != std::string_view::npos) {
    std::string t(text);
    std::replace(t.begin(), t.end(), ',', '.');
    double v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    const std::string_view rest(end, static_cast<size_t>(t.data() + t.size() - end));
    long long unit = 1'000'000;
    if (rest.size() == 1 && unit_us(rest[0])) unit = *unit_us(rest[0]);
    else if (!rest.empty()) return fail(bad);
    if (ec != std::errc() || !std::isfinite(v) || v <= 0 || v * static_cast<double>(unit) > 1e17) return fail(bad);
    return microseconds(std::llround(v * static_cast<double>(unit)));
  }
  long long total = 0;
  std::string_view s = text;
  while (!s.empty()) {
    long long n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end == s.data() || n < 0 || n > 100LL * 366 * 86400) return fail(bad);
    s.remove_prefix(static_cast<size_t>(end - s.data()));
    long long unit = 1'000'000;
    if (!s.empty()) {
      const auto u = unit_us(s.front());
      if (!u) return fail(bad);
      unit = *u;
      s.remove_prefix(1);
    } else if (total != 0) {
      return fail(bad);  // "1h30": the last number needs its unit
    }
    if (n > 4'000'000'000'000'000LL / unit) return fail(bad);
    total += n * unit;
  }
  if (total <= 0) return fail(bad);
  return microseconds(total);
}

std::string format_local(WallTime t, int decimals) {
  const auto secs = std::chrono::floor<seconds>(t);
  const long long us = (t - secs).count();
  const std::time_t tt = secs.time_since_epoch().count();
  std::tm tm{};
  localtime_r(&tt, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (decimals == 3) out += fmt::format(".{:03}", us / 1000);
  else if (decimals == 6) out += fmt::format(".{:06}", us);
  return out + offset_text(tm.tm_gmtoff);
}

std::string format_utc(WallTime t, int decimals) {
  const auto secs = std::chrono::floor<seconds>(t);
  const long long us = (t - secs).count();
  const std::time_t tt = secs.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  const std::string fraction = decimals == 3 ? fmt::format("{:03}", us / 1000) : fmt::format("{:06}", us);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

std::string format_duration(std::chrono::microseconds d) {
  const bool neg = d.count() < 0;
  long long us = std::llabs(d.count());
  const long long ms = (us + 500) / 1000;
  const long long h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, f = ms % 1000;
  const std::string sign = neg ? "-" : "";
  if (h > 0) return fmt::format("{}{}:{:02}:{:02}.{:03}", sign, h, m, s, f);
  return fmt::format("{}{}:{:02}.{:03}", sign, m, s, f);
}

std::optional<WallTime> parse_creation_time(std::string_view text) {
  Cursor in{text};
  Civil c;
  auto y = in.digits(4);
  if (!y || !in.eat('-')) return std::nullopt;
  auto mo = in.digits(2);
  if (!mo || !in.eat('-')) return std::nullopt;
  auto d = in.digits(2);
  if (!d || !(in.eat('T') || in.eat(' ')) || !parse_clock(in, c)) return std::nullopt;
  c.year = *y;
  c.month = *mo;
  c.day = *d;
  bool ok = true;
  const auto off = parse_offset(in, ok);
  if (!ok || !in.done() || !valid(c)) return std::nullopt;
  return WallTime(civil_seconds(c) - seconds(off.value_or(0))) + microseconds(c.micros);
}

}  // namespace cctv
