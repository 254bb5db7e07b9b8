// SPDX-License-Identifier: MIT
// Reading ONVIF answers: clock, identity, services, profiles, URIs; and fixing their hosts.
#include "onvif.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <map>

#include "http.hpp"

namespace cctv::discover {

namespace {

int int_of(XmlNode n) {
  const std::string t = n.text();
  int v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc() && end == t.data() + t.size() ? v : 0;
}

// xs:float or xs:int ("25", "25.0", "29.97"); 0 when not a number.
double number_of(XmlNode n) {
  const std::string t = n.text();
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc() && end == t.data() + t.size() && v >= 0 && v < 1e9 ? v : 0;
}

// The encoder settings common to Media's VideoEncoderConfiguration and
// Media2's VideoEncoder (both tt: children).
void read_encoder(XmlNode enc, Profile& p) {
  p.codec = codec_name(enc.child(ns::kSchema, "Encoding").text());
  const XmlNode res = enc.child(ns::kSchema, "Resolution");
  p.width = std::max(0, int_of(res.child(ns::kSchema, "Width")));
  p.height = std::max(0, int_of(res.child(ns::kSchema, "Height")));
  const XmlNode rate = enc.child(ns::kSchema, "RateControl");
  p.fps = number_of(rate.child(ns::kSchema, "FrameRateLimit"));
  p.bitrate_kbps = std::max(0, int_of(rate.child(ns::kSchema, "BitrateLimit")));
}

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  const std::string h(host);
  return inet_pton(AF_INET, h.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace

Result<std::chrono::system_clock::time_point> parse_system_date_time(XmlNode body) {
  const XmlNode utc = body.find(ns::kSchema, "UTCDateTime");
  const XmlNode date = utc.child(ns::kSchema, "Date");
  const XmlNode time = utc.child(ns::kSchema, "Time");
  std::tm tm{};
  tm.tm_year = int_of(date.child(ns::kSchema, "Year")) - 1900;
  tm.tm_mon = int_of(date.child(ns::kSchema, "Month")) - 1;
  tm.tm_mday = int_of(date.child(ns::kSchema, "Day"));
  tm.tm_hour = int_of(time.child(ns::kSchema, "Hour"));
  tm.tm_min = int_of(time.child(ns::kSchema, "Minute"));
  tm.tm_sec = int_of(time.child(ns::kSchema, "Second"));
  // Leap seconds (60) pass; a camera whose clock was never set says 1970 or 2000, which is valid.
  if (!utc || tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return fail(ExitCode::kFailure, "no valid UTCDateTime in GetSystemDateAndTime");
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

DeviceInformation parse_device_information(XmlNode body) {
  const XmlNode r = body.child(ns::kDevice, "GetDeviceInformationResponse");
  return DeviceInformation{r.child(ns::kDevice, "Manufacturer").text(), r.child(ns::kDevice, "Model").text(),
                           r.child(ns::kDevice, "FirmwareVersion").text(), r.child(ns::kDevice, "SerialNumber").text()};
}

MediaServices parse_services(XmlNode body) {
  MediaServices out;
  for (const XmlNode s : body.child(ns::kDevice, "GetServicesResponse").children(ns::kDevice, "Service")) {
    const std::string nspace = s.child(ns::kDevice, "Namespace").text();
    const std::string xaddr = s.child(ns::kDevice, "XAddr").text();
    if (nspace == ns::kMedia && out.media.empty()) out.media = xaddr;
    if (nspace == ns::kMedia2 && out.media2.empty()) out.media2 = xaddr;
  }
  return out;
}

MediaServices parse_capabilities(XmlNode body) {
  const XmlNode caps = body.child(ns::kDevice, "GetCapabilitiesResponse").child(ns::kDevice, "Capabilities");
  return MediaServices{caps.child(ns::kSchema, "Media").child(ns::kSchema, "XAddr").text(), {}};
}

std::vector<Profile> parse_profiles(XmlNode body) {
  std::vector<Profile> out;
  // Media: trt:Profiles with tt: children.
  for (const XmlNode n : body.child(ns::kMedia, "GetProfilesResponse").children(ns::kMedia, "Profiles")) {
    Profile p;
    p.token = n.attr("token");
    p.name = n.child(ns::kSchema, "Name").text();
    read_encoder(n.child(ns::kSchema, "VideoEncoderConfiguration"), p);
    out.push_back(std::move(p));
  }
  // Media2: tr2:Profiles, tr2:Name (tt:Name on some devices), tr2:Configurations/tr2:VideoEncoder.
  for (const XmlNode n : body.child(ns::kMedia2, "GetProfilesResponse").children(ns::kMedia2, "Profiles")) {
    Profile p;
    p.token = n.attr("token");
    p.name = n.child(ns::kMedia2, "Name").text();
    if (p.name.empty()) p.name = n.child(ns::kSchema, "Name").text();
    read_encoder(n.child(ns::kMedia2, "Configurations").child(ns::kMedia2, "VideoEncoder"), p);
    p.media2 = true;
    out.push_back(std::move(p));
  }
  return out;
}

std::string parse_media_uri(XmlNode body) {
  for (const std::string_view op : {"GetStreamUriResponse", "GetSnapshotUriResponse"}) {
    // Media: trt:MediaUri/tt:Uri; Media2: tr2:Uri.
    if (XmlNode r = body.child(ns::kMedia, op)) return r.child(ns::kMedia, "MediaUri").child(ns::kSchema, "Uri").text();
    if (XmlNode r = body.child(ns::kMedia2, op)) return r.child(ns::kMedia2, "Uri").text();
  }
  return {};
}

std::vector<Profile> merge_profiles(std::vector<Profile> media, std::vector<Profile> media2) {
  std::vector<Profile> out = std::move(media2);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < out.size(); ++i) index.emplace(out[i].token, i);
  for (Profile& p : media) {
    const auto it = index.find(p.token);
    if (it == index.end()) {
      out.push_back(std::move(p));
      continue;
    }
    // Same profile: Media2's encoder view wins; a URI only Media found stays.
    Profile& q = out[it->second];
    if (q.stream_uri.empty()) q.stream_uri = p.stream_uri;
    if (q.snapshot_uri.empty()) q.snapshot_uri = p.snapshot_uri;
    if (q.name.empty()) q.name = p.name;
    if (q.codec.empty()) {
      q.codec = p.codec;
      q.width = p.width;
      q.height = p.height;
    }
    if (q.fps == 0) q.fps = p.fps;
    if (q.bitrate_kbps == 0) q.bitrate_kbps = p.bitrate_kbps;
  }
  return out;
}

std::string codec_name(std::string_view encoding) {
  std::string e(encoding);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (e == "H264" || e == "AVC") return "h264";
  if (e == "H265" || e == "HEVC") return "hevc";
  if (e == "JPEG" || e == "MJPEG") return "mjpeg";
  if (e == "MPEG4" || e == "MP4V-ES") return "mpeg4";
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

std::string usable_url(std::string_view url, std::string_view reached) {
  const std::string host = url_host(url);
  if (host.empty() && url.find("://") == std::string_view::npos) return std::string(url);
  const bool unusable = host.empty() || host == "0.0.0.0" || host == "::" || (is_loopback(host) && !is_loopback(reached));
  return unusable && !reached.empty() ? url_with_host(url, reached) : std::string(url);
}

const Profile* main_profile(const Device& d) {
  const Profile* best = nullptr;
  for (const Profile& p : d.profiles) {
    if (p.stream_uri.empty()) continue;
    const auto area = [](const Profile& q) { return static_cast<long long>(q.width) * q.height; };
    if (best == nullptr || area(p) > area(*best)) best = &p;
  }
  return best;
}

}  // namespace cctv::discover
