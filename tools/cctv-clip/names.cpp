// SPDX-License-Identifier: MIT
// Output patterns read back: a regex with a group per time field, and the instants a name can mean.
#include "names.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <system_error>

namespace cctv::clip {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSpecial = R"(\^$.|?*+()[]{}/)";

std::string escape(char c) {
  std::string out;
  if (kSpecial.find(c) != std::string_view::npos) out += '\\';
  return out + c;
}

// The regex of one conversion, and whether it is captured as a time field.
struct Conv {
  std::string re;
  bool time = false;
};

std::optional<Conv> conversion(char c) {
  switch (c) {
    case 'Y': return Conv{"([0-9]{4})", true};
    case 'm': case 'd': case 'H': case 'M': case 'S': case 'y': return Conv{"([0-9]{2})", true};
    case 'e': return Conv{"( [0-9]|[0-9]{2})", true};
    case 'j': return Conv{"([0-9]{3})", true};
    case 's': return Conv{"([0-9]{1,19})", true};
    case 'z': return Conv{"([+-][0-9]{4})", true};
    case 'Z': return Conv{"(?:[A-Za-z]{1,16}|[+-][0-9]{2}(?:[0-9]{2})?)"};
    case 'a': case 'A': case 'b': case 'B': case 'h': case 'p': case 'P': return Conv{"(?:[^/]+?)"};
    case 'u': case 'w': return Conv{"[0-9]"};
    case 'U': case 'W': case 'V': case 'g': case 'C': return Conv{"[0-9]{2}"};
    case 'G': return Conv{"[0-9]{4}"};
    case 'I': case 'l': case 'k': return Conv{"(?:[ 0-9][0-9])"};
    default: return std::nullopt;
  }
}

// Expands the composite conversions into their parts.
std::string expand_composites(std::string_view p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '%' && i + 1 < p.size()) {
      const char c = p[i + 1];
      const char* rep = c == 'F' ? "%Y-%m-%d" : c == 'T' ? "%H:%M:%S" : c == 'R' ? "%H:%M" : c == 'D' ? "%m/%d/%y" : nullptr;
      if (rep != nullptr) {
        out += rep;
        ++i;
        continue;
      }
      out += p.substr(i, 2);
      ++i;
      continue;
    }
    out += p[i];
  }
  return out;
}

int to_int(const std::string& s) {
  int v = 0;
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return 0;
  std::from_chars(s.data() + b, s.data() + s.size(), v);
  return v;
}

}  // namespace

NamePattern::NamePattern(std::string_view pattern) {
  const fs::path p = fs::absolute(fs::path(expand_composites(pattern))).lexically_normal();
  for (const auto& part : p) {
    if (part.string().find('%') != std::string::npos) break;
    root_ /= part;
  }
  if (root_ == p) root_ = p.parent_path();  // no field at all: the file's folder
  const std::string rel = p.lexically_relative(root_).string();
  // The recorder's "-2".."-999" goes before the extension.
  const auto dot = rel.rfind('.');
  const size_t ext_at = dot != std::string::npos && rel.find('/', dot) == std::string::npos ? dot : rel.size();
  std::string re;
  bool seen[128] = {};
  for (size_t i = 0; i < rel.size(); ++i) {
    if (i == ext_at) re += "(?:-(?:[2-9]|[1-9][0-9]{1,2}))?";
    if (rel[i] != '%' || i + 1 == rel.size()) {
      re += escape(rel[i]);
      continue;
    }
    size_t j = i + 1;
    while (j < rel.size() && std::isdigit(static_cast<unsigned char>(rel[j]))) ++j;
    if (j < rel.size() && rel[j] == 'N') {
      re += "[0-9]+";
      i = j;
      continue;
    }
    // strftime flags and widths are not expected in recording names: skip them loosely.
    while (j < rel.size() && std::string_view("_-0^#EO").find(rel[j]) != std::string_view::npos) ++j;
    if (j == rel.size()) return;  // a lone '%': nothing matches
    const char c = rel[j];
    i = j;
    if (c == '%') {
      re += "%";
      continue;
    }
    const auto conv = conversion(c);
    if (!conv) {
      re += "(?:[^/]*?)";  // unknown to us: anything within the folder name
      continue;
    }
    re += conv->re;
    if (conv->time) {
      fields_.push_back({c});
      seen[static_cast<unsigned char>(c)] = true;
    }
  }
  if (ext_at == rel.size()) re += "(?:-(?:[2-9]|[1-9][0-9]{1,2}))?";
  re_.emplace(re, std::regex::ECMAScript);
  const bool date = (seen['Y'] || seen['y']) && ((seen['m'] && (seen['d'] || seen['e'])) || seen['j']);
  has_time_ = seen['s'] || (date && seen['H']);
}

std::optional<NamedFile> NamePattern::match(const fs::path& p) const {
  if (!re_) return std::nullopt;
  const std::string rel = p.lexically_normal().lexically_relative(root_).string();
  std::smatch m;
  if (!std::regex_match(rel, m, *re_)) return std::nullopt;
  NamedFile f{p, std::nullopt, std::nullopt};
  if (!has_time_) return f;
  int year = 1970, month = 1, day = 1, yday = -1, hour = 0, minute = 0, second = 0;
  std::optional<long> offset;
  std::optional<long long> epoch;
  for (size_t k = 0; k < fields_.size(); ++k) {
    const std::string v = m[static_cast<int>(k) + 1].str();
    switch (fields_[k].conv) {
      case 'Y': year = to_int(v); break;
      case 'y': year = 2000 + to_int(v); break;
      case 'm': month = to_int(v); break;
      case 'd': case 'e': day = to_int(v); break;
      case 'j': yday = to_int(v) - 1; break;
      case 'H': hour = to_int(v); break;
      case 'M': minute = to_int(v); break;
      case 'S': second = to_int(v); break;
      case 's': epoch = std::stoll(v); break;
      case 'z': {
        const int hhmm = to_int(v.substr(1));
        const long off = (hhmm / 100) * 3600L + (hhmm % 100) * 60L;
        offset = v[0] == '-' ? -off : off;
        break;
      }
      default: break;
    }
  }
  using namespace std::chrono;
  if (epoch) {
    f.earliest = f.latest = WallTime(seconds(*epoch));
    return f;
  }
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  sys_days d = yday >= 0 ? sys_days(std::chrono::year{year} / January / 1) + days{yday} : sys_days(ymd);
  if (yday < 0 && !ymd.ok()) return f;  // a name the pattern allows but no date: no time
  const sys_seconds civil = d + hours{hour} + minutes{minute} + seconds{second};
  if (offset) {
    f.earliest = f.latest = WallTime(civil - seconds(*offset));
    return f;
  }
  auto readings = local_readings(civil);
  if (readings.empty()) {
    // A name in the hour clocks skip: read it with both offsets.
    const WallTime a(civil - seconds(utc_offset_at(WallTime(civil - hours(24)))));
    const WallTime b(civil - seconds(utc_offset_at(WallTime(civil + hours(24)))));
    readings = {std::min(a, b), std::max(a, b)};
  }
  f.earliest = readings.front();
  f.latest = readings.back();
  return f;
}

std::vector<NamedFile> list_named(const NamePattern& p) {
  std::vector<NamedFile> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(p.root(), fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (!fs::is_regular_file(it->symlink_status(e2)) || e2) continue;
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') continue;  // temporary files (ours, a writer's)
    if (auto f = p.match(it->path())) out.push_back(std::move(*f));
  }
  std::sort(out.begin(), out.end(), [](const NamedFile& a, const NamedFile& b) {
    if (a.earliest != b.earliest) return a.earliest < b.earliest;
    return a.path < b.path;
  });
  return out;
}

}  // namespace cctv::clip
