// SPDX-License-Identifier: MIT
// A reader of Low-Latency HLS media playlists for the tests, and the checks
// of RFC 8216bis that every playlist cctv-mjpeg-serve sends must pass.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::test {

struct LlPart {
  double duration = 0;
  std::string uri;
  bool independent = false;
};

struct LlSegment {
  std::uint64_t msn = 0;
  std::optional<double> duration;  // EXTINF; none for the segment still being made
  std::string uri;
  std::vector<LlPart> parts;
  bool discontinuity = false;
  std::string map;  // EXT-X-MAP URI in force
  std::string program_date_time;
};

struct LlPlaylist {
  int version = 0;
  int target = 0;
  double part_target = 0;
  double part_hold_back = 0;
  bool can_block_reload = false;
  std::uint64_t media_sequence = 0;
  std::uint64_t discontinuity_sequence = 0;
  std::vector<LlSegment> segments;  // the last one may be open (parts only)
  std::string hint;                 // EXT-X-PRELOAD-HINT URI
  std::string error;                // what did not parse; empty when it did
};

// The value of attribute `name` in an attribute list (quotes removed).
inline std::string ll_attribute(std::string_view attrs, std::string_view name) {
  std::size_t at = 0;
  while (at < attrs.size()) {
    const auto eq = attrs.find('=', at);
    if (eq == std::string_view::npos) return {};
    const auto key = attrs.substr(at, eq - at);
    std::size_t end = 0;
    std::string value;
    if (eq + 1 < attrs.size() && attrs[eq + 1] == '"') {
      const auto close = attrs.find('"', eq + 2);
      if (close == std::string_view::npos) return {};
      value = std::string(attrs.substr(eq + 2, close - eq - 2));
      end = close + 1;
    } else {
      end = std::min(attrs.find(',', eq), attrs.size());
      value = std::string(attrs.substr(eq + 1, end - eq - 1));
    }
    if (key == name) return value;
    at = end + 1;  // past the comma
  }
  return {};
}

inline LlPlaylist parse_ll_playlist(const std::string& text) {
  LlPlaylist p;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "#EXTM3U") {
    p.error = "no #EXTM3U";
    return p;
  }
  const auto value = [&](std::string_view tag) { return line.substr(tag.size()); };
  LlSegment next;
  std::string map;
  bool first = true;
  try {
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (line.starts_with("#EXT-X-VERSION:")) p.version = std::stoi(value("#EXT-X-VERSION:"));
      else if (line.starts_with("#EXT-X-TARGETDURATION:")) p.target = std::stoi(value("#EXT-X-TARGETDURATION:"));
      else if (line.starts_with("#EXT-X-MEDIA-SEQUENCE:")) p.media_sequence = std::stoull(value("#EXT-X-MEDIA-SEQUENCE:"));
      else if (line.starts_with("#EXT-X-DISCONTINUITY-SEQUENCE:")) {
        p.discontinuity_sequence = std::stoull(value("#EXT-X-DISCONTINUITY-SEQUENCE:"));
      } else if (line.starts_with("#EXT-X-PART-INF:")) {
        p.part_target = std::stod(ll_attribute(value("#EXT-X-PART-INF:"), "PART-TARGET"));
      } else if (line.starts_with("#EXT-X-SERVER-CONTROL:")) {
        const auto a = value("#EXT-X-SERVER-CONTROL:");
        p.can_block_reload = ll_attribute(a, "CAN-BLOCK-RELOAD") == "YES";
        const auto hold = ll_attribute(a, "PART-HOLD-BACK");
        if (!hold.empty()) p.part_hold_back = std::stod(hold);
      } else if (line.starts_with("#EXT-X-MAP:")) {
        map = ll_attribute(value("#EXT-X-MAP:"), "URI");
      } else if (line == "#EXT-X-DISCONTINUITY") {
        next.discontinuity = true;
      } else if (line.starts_with("#EXT-X-PROGRAM-DATE-TIME:")) {
        next.program_date_time = value("#EXT-X-PROGRAM-DATE-TIME:");
      } else if (line.starts_with("#EXT-X-PART:")) {
        const auto a = value("#EXT-X-PART:");
        next.parts.push_back({std::stod(ll_attribute(a, "DURATION")), ll_attribute(a, "URI"),
                              ll_attribute(a, "INDEPENDENT") == "YES"});
      } else if (line.starts_with("#EXTINF:")) {
        next.duration = std::stod(value("#EXTINF:"));
      } else if (line.starts_with("#EXT-X-PRELOAD-HINT:")) {
        p.hint = ll_attribute(value("#EXT-X-PRELOAD-HINT:"), "URI");
      } else if (!line.starts_with("#")) {
        if (!next.duration) {
          p.error = "a URI without #EXTINF: " + line;
          return p;
        }
        next.uri = line;
        next.map = map;
        next.msn = first ? p.media_sequence : p.segments.back().msn + 1;
        first = false;
        p.segments.push_back(std::move(next));
        next = LlSegment{};
      }
    }
  } catch (const std::exception&) {
    p.error = "a tag's value does not parse: " + line;
    return p;
  }
  if (!next.parts.empty()) {  // the segment being made
    next.map = map;
    next.msn = first ? p.media_sequence : p.segments.back().msn + 1;
    p.segments.push_back(std::move(next));
  }
  return p;
}

// The number N of a part URI "partN.m4s[?...]", or nullopt.
inline std::optional<std::uint64_t> ll_part_number(std::string_view uri) {
  if (!uri.starts_with("part")) return std::nullopt;
  const auto dot = uri.find(".m4s");
  if (dot == std::string_view::npos || dot == 4) return std::nullopt;
  try {
    return std::stoull(std::string(uri.substr(4, dot - 4)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// What breaks the rules of RFC 8216bis (and the issue's) in `p`; empty when none does.
inline std::vector<std::string> ll_rule_violations(const LlPlaylist& p) {
  std::vector<std::string> out;
  if (!p.error.empty()) return {p.error};
  if (!p.can_block_reload) out.push_back("no CAN-BLOCK-RELOAD=YES");
  if (p.part_target <= 0) out.push_back("no PART-TARGET");
  if (p.part_hold_back + 1e-6 < 3 * p.part_target) out.push_back("PART-HOLD-BACK below three part targets");
  if (p.hint.empty()) out.push_back("no EXT-X-PRELOAD-HINT");
  std::optional<std::uint64_t> last_part;
  for (const auto& s : p.segments) {
    double sum = 0;
    for (const auto& part : s.parts) {
      sum += part.duration;
      if (part.duration > p.part_target + 1e-9) {
        out.push_back("part " + part.uri + " longer than PART-TARGET");
      }
      const auto n = ll_part_number(part.uri);
      if (!n) out.push_back("part URI " + part.uri + " has no number");
      else if (last_part && *n != *last_part + 1) out.push_back("part " + part.uri + " does not follow the last");
      if (n) last_part = n;
    }
    if (s.duration) {
      if (std::lround(*s.duration) > p.target) out.push_back("EXTINF of " + s.uri + " above the target duration");
      if (!s.parts.empty() && std::abs(sum - *s.duration) > 0.001 * static_cast<double>(s.parts.size())) {
        out.push_back("the parts of " + s.uri + " do not add up to its EXTINF");
      }
    }
    if (s.program_date_time.empty()) out.push_back("segment " + std::to_string(s.msn) + " without PROGRAM-DATE-TIME");
    if (s.map.empty()) out.push_back("segment " + std::to_string(s.msn) + " without EXT-X-MAP");
  }
  const auto hinted = ll_part_number(p.hint);
  if (last_part && (!hinted || *hinted != *last_part + 1)) out.push_back("the preload hint is not the next part");
  return out;
}

}  // namespace cctv::test
