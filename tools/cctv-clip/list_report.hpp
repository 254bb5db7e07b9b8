// SPDX-License-Identifier: MIT
// --list: the recorded spans and gaps as text or JSON.
#pragma once

#include <optional>
#include <string>

#include "cctv/times.hpp"
#include "index.hpp"

namespace cctv::clip {

// The listing of `t` over [from, to) (spans and gaps trimmed to it when
// given): one line per span ("START  END  DURATION  N files") and per gap
// ("gap START  END  DURATION"), or with `json` one document:
//   {"tool": "cctv-clip", "version": "...", "pattern": "...", "from": T|null, "to": T|null,
//    "spans": [{"start": T, "end": T, "duration": S, "files": [{"path", "start", "end", "size"}]}],
//    "gaps": [{"start": T, "end": T, "duration": S}]}
// where T is local ISO 8601 with its offset and milliseconds, S seconds. Pure apart from TZ.
[[nodiscard]] std::string list_report(const Timeline& t, const std::string& pattern, std::optional<WallTime> from,
                                      std::optional<WallTime> to, bool json);

}  // namespace cctv::clip
