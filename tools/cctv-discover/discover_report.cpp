// SPDX-License-Identifier: MIT
// Rendering devices as a table, as JSON (Boost.JSON) and as environment-file lines.
#include "discover_report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "cctv/json.hpp"
#include "cctv/url.hpp"

namespace cctv::discover {

namespace {

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string maker_model(const Device& d) {
  std::string s = d.info.maker;
  if (!d.info.model.empty()) s += (s.empty() ? "" : " ") + d.info.model;
  if (s.empty()) s = d.scopes.hardware;
  return s;
}

std::string size_text(const Profile& p) { return p.width > 0 ? fmt::format("{}x{}", p.width, p.height) : ""; }

std::string check_text(const StreamCheck& c) {
  if (!c.error.empty()) return "error: " + redact(c.error);
  std::string s = "ok " + c.codec;
  if (c.width > 0) s += fmt::format(" {}x{}", c.width, c.height);
  if (c.keyframe_ms) s += fmt::format(", keyframe after {:.0f} ms", *c.keyframe_ms);
  return s;
}

// Columns as wide as their widest cell (UTF-8 code points, not bytes).
size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string render(const std::vector<std::vector<std::string>>& rows) {
  // The last cell of a short row (an error) runs on: it does not widen its column.
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& r : rows) {
    const size_t counted = r.size() < width.size() ? r.size() - 1 : r.size();
    for (size_t i = 0; i < counted && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - std::min(width[i], display_width(r[i])) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

boost::json::value str_or_null(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

template <typename T>
boost::json::value positive_or_null(T v) {
  return v > 0 ? boost::json::value(v) : boost::json::value(nullptr);
}

boost::json::value check_json(const StreamCheck& c) {
  return boost::json::object{
      {"exit_code", to_int(c.code)},
      {"error", str_or_null(redact(c.error))},
      {"codec", str_or_null(c.codec)},
      {"width", positive_or_null(c.width)},
      {"height", positive_or_null(c.height)},
      {"keyframe_ms", c.keyframe_ms ? boost::json::value(std::llround(*c.keyframe_ms)) : boost::json::value(nullptr)},
  };
}

boost::json::value profile_json(const Profile& p) {
  return boost::json::object{
      {"token", p.token},
      {"name", str_or_null(p.name)},
      {"codec", str_or_null(p.codec)},
      {"width", positive_or_null(p.width)},
      {"height", positive_or_null(p.height)},
      {"fps", positive_or_null(p.fps)},
      {"bitrate_kbps", positive_or_null(p.bitrate_kbps)},
      {"stream_uri", str_or_null(redact(p.stream_uri))},
      {"snapshot_uri", str_or_null(redact(p.snapshot_uri))},
      {"check", p.check ? check_json(*p.check) : boost::json::value(nullptr)},
  };
}

boost::json::value device_json(const Device& d) {
  boost::json::array profiles;
  for (const Profile& p : d.profiles) profiles.push_back(profile_json(p));
  return boost::json::object{
      {"address", d.address},
      {"xaddr", str_or_null(redact(d.xaddr))},
      {"name", str_or_null(d.scopes.name)},
      {"hardware", str_or_null(d.scopes.hardware)},
      {"location", str_or_null(d.scopes.location)},
      {"maker", str_or_null(d.info.maker)},
      {"model", str_or_null(d.info.model)},
      {"firmware", str_or_null(d.info.firmware)},
      {"serial", str_or_null(d.info.serial)},
      {"clock_offset_s", d.clock_offset_s ? boost::json::value(*d.clock_offset_s) : boost::json::value(nullptr)},
      {"profiles", std::move(profiles)},
      {"error", str_or_null(redact(d.error))},
  };
}

// The URI without its userinfo (the unit passes --user and the credential).
std::string without_userinfo(const std::string& uri) {
  auto parsed = parse_source_url(uri);
  return parsed && is_network(parsed->kind) ? url_with_credentials(*parsed, "", "") : redact(uri);
}

// A value as systemd's EnvironmentFile= reads it back: quoted when it holds
// blanks, quotes or backslashes (systemd.exec(5)).
std::string env_value(const std::string& v) {
  if (v.find_first_of(" \t\"'\\") == std::string::npos) return v;
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Comments are one line: a camera's name may hold anything.
std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

}  // namespace

std::string text_report(const std::vector<Device>& devices) {
  const bool checks = std::any_of(devices.begin(), devices.end(), [](const Device& d) {
    return std::any_of(d.profiles.begin(), d.profiles.end(), [](const Profile& p) { return p.check.has_value(); });
  });
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ADDRESS", "NAME", "DEVICE", "LOCATION", "SERVICE", "CLOCK", "PROFILE", "CODEC", "SIZE", "FPS",
                  "KBPS", "STREAM", "SNAPSHOT"});
  if (checks) rows.front().push_back("CHECK");
  for (const Device& d : devices) {
    // The device's own cells, on its first row only.
    std::string device = maker_model(d);
    if (!d.info.firmware.empty()) device += " " + d.info.firmware;
    std::vector<std::string> device_cells{
        d.address,
        or_dash(one_line(d.scopes.name)),
        or_dash(one_line(device)),
        or_dash(one_line(d.scopes.location)),
        or_dash(redact(one_line(d.xaddr))),
        d.clock_offset_s ? fmt::format("{:+} s", *d.clock_offset_s) : "-",
    };
    const size_t device_columns = device_cells.size();
    for (const Profile& p : d.profiles) {
      std::vector<std::string> r = device_cells;
      r.insert(r.end(), {or_dash(one_line(p.name.empty() ? p.token : p.name)), or_dash(p.codec), or_dash(size_text(p)),
                         p.fps > 0 ? fmt::format("{:g}", p.fps) : "-",
                         p.bitrate_kbps > 0 ? std::to_string(p.bitrate_kbps) : "-", or_dash(redact(p.stream_uri)),
                         or_dash(redact(p.snapshot_uri))});
      if (checks) r.push_back(p.check ? check_text(*p.check) : "-");
      rows.push_back(std::move(r));
      device_cells.assign(device_columns, "");
    }
    if (!d.error.empty()) {
      std::vector<std::string> r = device_cells;
      r.push_back("error: " + redact(one_line(d.error)));
      rows.push_back(std::move(r));
    } else if (d.profiles.empty()) {
      device_cells.push_back("(no profiles)");
      rows.push_back(std::move(device_cells));
    }
  }
  return devices.empty() ? std::string() : render(rows);
}

std::string json_report(const std::vector<Device>& devices) {
  boost::json::array arr;
  for (const Device& d : devices) arr.push_back(device_json(d));
  boost::json::object doc{{"tool", "cctv-discover"}, {"version", CCTV_VERSION}, {"devices", std::move(arr)}};
  return to_json(doc) + "\n";
}

std::string unit_name(const Device& d) {
  const std::string& from = d.scopes.name.empty() ? d.address : d.scopes.name;
  std::string out;
  for (const unsigned char c : from) {
    const char l = static_cast<char>(std::tolower(c));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-') out += l;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "camera" : out;
}

std::string conf_report(const std::vector<Device>& devices, const std::string& user) {
  std::string out;
  for (const Device& d : devices) {
    if (!out.empty()) out += "\n";
    const std::string who = one_line(fmt::format("{}{}{}", d.address, d.scopes.name.empty() ? "" : ": " + d.scopes.name,
                                                 maker_model(d).empty() ? "" : " (" + maker_model(d) + ")"));
    const Profile* p = main_profile(d);
    if (p == nullptr) {
      out += fmt::format("# {}: no stream URI{}\n", who, d.error.empty() ? "" : ": " + one_line(redact(d.error)));
      continue;
    }
    const std::string name = unit_name(d);
    out += fmt::format("# {}, profile {} ({} {})\n", who, one_line(p->name.empty() ? p->token : p->name),
                       or_dash(p->codec), or_dash(size_text(*p)));
    out += fmt::format("# /etc/cctv/{}.conf; the password in /etc/cctv/{}.password\n", name, name);
    out += "CCTV_URL=" + env_value(without_userinfo(p->stream_uri)) + "\n";
    if (!user.empty()) out += "CCTV_USER=" + env_value(user) + "\n";
  }
  return out;
}

}  // namespace cctv::discover
