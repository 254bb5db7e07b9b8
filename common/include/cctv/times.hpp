// SPDX-License-Identifier: MIT
// Wall-clock times as the tools take and print them: ISO 8601, times of today, relative times, DST-aware.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"

namespace cctv {

// Microseconds since the Unix epoch (UTC): the precision cctv-record writes
// creation_time with.
using WallTime = std::chrono::sys_time<std::chrono::microseconds>;

// The UTC offset of local time (TZ) at `t`, in seconds east of UTC.
[[nodiscard]] long utc_offset_at(WallTime t);

// The instants a local civil time (as seconds since the epoch were it UTC,
// i.e. timegm() of the fields) can mean under TZ: one normally, two when it
// falls in the hour repeated when clocks go back (earlier instant first),
// none when it is skipped when they go forward. Pure apart from TZ.
[[nodiscard]] std::vector<WallTime> local_readings(std::chrono::sys_seconds civil);

// Parses a time as CONVENTIONS "Times" has it:
//   2026-12-06T10:03:12[.123456]   local time (TZ); a space may replace the T;
//                                   seconds optional
//   …Z, …+01:00, …+0100, …+01       with an offset: exactly that instant
//   10:03:12, 10:03                 that time of today (local)
//   -10m, -1h30m, -90s, now         relative to `now`
// Errors (kUsage, one line naming the text): anything else, a field out of
// range, and a local time that is ambiguous or does not exist in TZ (a DST
// change), whose message shows both readings with their offsets.
[[nodiscard]] Result<WallTime> parse_time(std::string_view text, WallTime now);

// Parses a duration: "90", "90s", "1.5s", "10m", "1h30m", "7d" (a positive
// number of units; whole units except for a single number). kUsage otherwise.
[[nodiscard]] Result<std::chrono::microseconds> parse_duration_us(std::string_view text);

// ISO 8601 in local time with its offset, to the millisecond:
// "2026-12-06T10:03:12.040+01:00". `decimals` (0, 3 or 6) digits of seconds.
[[nodiscard]] std::string format_local(WallTime t, int decimals = 3);

// ISO 8601 UTC with microseconds, as FFmpeg reads creation_time:
// "2026-12-06T09:03:12.040000Z"; with `decimals` 3, milliseconds, as
// EXT-X-PROGRAM-DATE-TIME carries them: "2026-12-06T09:03:12.040Z".
[[nodiscard]] std::string format_utc(WallTime t, int decimals = 6);

// A duration as "1:02:03.040" / "2:03.040" / "3.040 s"-free "h:mm:ss.mmm"
// (hours only when there are any).
[[nodiscard]] std::string format_duration(std::chrono::microseconds d);

// Parses FFmpeg's creation_time text ("2026-12-06T09:03:12.040000Z", also
// without fraction or Z); nullopt when it is not one.
[[nodiscard]] std::optional<WallTime> parse_creation_time(std::string_view text);

}  // namespace cctv
