// SPDX-License-Identifier: MIT
// ask_device(): the ONVIF conversation with one device, one request at a time.
#include "onvif.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/url.hpp"
#include "http.hpp"

namespace cctv::discover {

namespace {

std::string action(std::string_view service_ns, std::string_view op) { return fmt::format("{}/{}", service_ns, op); }

// Cameras drift, and auth fails beyond a few seconds of skew (HA #121952).
constexpr long kSkewWarning = 5;

class Conversation {
 public:
  Conversation(Device& d, SoapClient& soap) : d_(d), soap_(soap), host_(url_host(d.xaddr)) {}

  Status run() {
    if (auto s = clock(); !s) return s;
    if (auto s = information(); !s) return s;
    auto services = media_services();
    if (!services) return fail(services.error());
    if (services->media.empty() && services->media2.empty()) {
      return fail(ExitCode::kFailure, redact(d_.xaddr) + ": the device lists no media service");
    }
    std::vector<Profile> media2;
    std::vector<Profile> media;
    for (const bool v2 : {true, false}) {
      const std::string& url = v2 ? services->media2 : services->media;
      if (url.empty()) continue;
      auto p = profiles(url, v2);
      if (!p) return fail(p.error());
      (v2 ? media2 : media) = std::move(*p);
    }
    std::set<std::string> in_media;
    for (const Profile& p : media) in_media.insert(p.token);
    d_.profiles = merge_profiles(std::move(media), std::move(media2));
    // Each profile's URIs from the service that described it; from Media as
    // well when Media2 gave none and Media knows the token.
    for (Profile& p : d_.profiles) {
      if (auto s = uris(p.media2 ? services->media2 : services->media, p.media2, p); !s) return s;
      if (p.media2 && in_media.count(p.token) != 0 && (p.stream_uri.empty() || p.snapshot_uri.empty())) {
        if (auto s = uris(services->media, false, p); !s) return s;
      }
    }
    return {};
  }

 private:
  // GetSystemDateAndTime needs no credentials by the spec; some Axis units
  // want them for everything, so a refusal is asked again with them.
  Status clock() {
    const std::string body = "<tds:GetSystemDateAndTime/>";
    const auto t0 = std::chrono::system_clock::now();
    auto r = soap_.call(d_.xaddr, action(ns::kDevice, "GetSystemDateAndTime"), body, false);
    if (!r && r.error().code == ExitCode::kAuth && soap_.has_credentials() && !soap_.http_auth_refused()) {
      r = soap_.call(d_.xaddr, action(ns::kDevice, "GetSystemDateAndTime"), body, true);
    }
    if (!r) return fail(r.error());
    const auto t1 = std::chrono::system_clock::now();
    auto camera = r->fault ? fail(ExitCode::kFailure, r->fault->describe()) : parse_system_date_time(r->body);
    if (!camera) {
      log_notice("{}: no clock offset (signing with ours): {}", d_.address, camera.error().what());
      return {};
    }
    // The camera's seconds are whole: its time is, on average, half a second on.
    const auto ours = t0 + (t1 - t0) / 2;
    const double offset = std::chrono::duration<double>(*camera - ours).count() + 0.5;
    d_.clock_offset_s = std::lround(offset);
    soap_.set_clock_offset(std::chrono::seconds(*d_.clock_offset_s));
    if (std::abs(*d_.clock_offset_s) > kSkewWarning) {
      log_notice("{}: the camera's clock is {:+} s off ours; signing with its time", d_.address, *d_.clock_offset_s);
    }
    return {};
  }

  Status information() {
    auto r = soap_.call(d_.xaddr, action(ns::kDevice, "GetDeviceInformation"), "<tds:GetDeviceInformation/>");
    if (!r) return fail(r.error());
    if (r->fault) log_notice("{}: GetDeviceInformation: {}", d_.address, r->fault->describe());
    else d_.info = parse_device_information(r->body);
    return {};
  }

  // GetServices, which knows Media2; else GetCapabilities (python-onvif-zeep-async #97).
  Result<MediaServices> media_services() {
    MediaServices s;
    auto r = soap_.call(d_.xaddr, action(ns::kDevice, "GetServices"),
                        "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>");
    if (!r && r.error().code != ExitCode::kNotFound && r.error().code != ExitCode::kFailure) return fail(r.error());
    if (r && !r->fault) s = parse_services(r->body);
    if (s.media.empty() && s.media2.empty()) {
      log_debug("{}: no media service from GetServices; asking GetCapabilities", d_.address);
      auto c = soap_.call(d_.xaddr, action(ns::kDevice, "GetCapabilities"),
                          "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>");
      if (!c) return fail(c.error());
      if (c->fault) return fail(ExitCode::kFailure, redact(d_.xaddr) + ": GetCapabilities: " + c->fault->describe());
      s = parse_capabilities(c->body);
    }
    s.media = s.media.empty() ? s.media : usable_url(s.media, host_);
    s.media2 = s.media2.empty() ? s.media2 : usable_url(s.media2, host_);
    return s;
  }

  // A Media or Media2 GetProfiles. A Media2 that faults is skipped (Media
  // may still answer); a Media that faults is not.
  Result<std::vector<Profile>> profiles(const std::string& url, bool media2) {
    const std::string_view service = media2 ? ns::kMedia2 : ns::kMedia;
    auto r = soap_.call(url, action(service, "GetProfiles"),
                        media2 ? "<tr2:GetProfiles><tr2:Type>All</tr2:Type></tr2:GetProfiles>" : "<trt:GetProfiles/>");
    if (!r && !(media2 && r.error().code == ExitCode::kNotFound)) return fail(r.error());
    if (!r || r->fault) {
      const std::string why = r ? r->fault->describe() : r.error().what();
      if (media2) {
        log_info("{}: Media2 GetProfiles: {}", d_.address, why);
        return std::vector<Profile>{};
      }
      return fail(ExitCode::kFailure, fmt::format("{}: GetProfiles: {}", redact(url), why));
    }
    return parse_profiles(r->body);
  }

  // GetStreamUri (RTSP over RTP unicast) and GetSnapshotUri of one profile,
  // for those of its URIs still empty; a fault leaves the URI empty.
  Status uris(const std::string& url, bool media2, Profile& p) {
    const std::string token = xml_escape(p.token);
    const std::string stream_body =
        media2 ? fmt::format("<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol>"
                             "<tr2:ProfileToken>{}</tr2:ProfileToken></tr2:GetStreamUri>",
                             token)
               : fmt::format("<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
                             "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
                             "<trt:ProfileToken>{}</trt:ProfileToken></trt:GetStreamUri>",
                             token);
    const std::string snapshot_body = media2 ? fmt::format("<tr2:GetSnapshotUri><tr2:ProfileToken>{}</tr2:ProfileToken>"
                                                           "</tr2:GetSnapshotUri>", token)
                                             : fmt::format("<trt:GetSnapshotUri><trt:ProfileToken>{}</trt:ProfileToken>"
                                                           "</trt:GetSnapshotUri>", token);
    const std::string_view service = media2 ? ns::kMedia2 : ns::kMedia;
    for (const bool snapshot : {false, true}) {
      if (!(snapshot ? p.snapshot_uri : p.stream_uri).empty()) continue;
      auto r = soap_.call(url, action(service, snapshot ? "GetSnapshotUri" : "GetStreamUri"),
                          snapshot ? snapshot_body : stream_body);
      if (!r) return fail(r.error());
      if (r->fault) {
        log_info("{}: profile {}: {}: {}", d_.address, p.token, snapshot ? "GetSnapshotUri" : "GetStreamUri",
                 r->fault->describe());
        continue;
      }
      const std::string uri = parse_media_uri(r->body);
      (snapshot ? p.snapshot_uri : p.stream_uri) = uri.empty() ? uri : usable_url(uri, host_);
    }
    return {};
  }

  Device& d_;
  SoapClient& soap_;
  std::string host_;
};

}  // namespace

void ask_device(Device& d, SoapClient& soap) {
  if (d.xaddr.empty()) {
    d.code = ExitCode::kFailure;
    d.error = d.address + ": no http device service address (XAddrs: https only, or none)";
    return;
  }
  Conversation c(d, soap);
  if (Status s = c.run(); !s) {
    d.code = s.error().code;
    d.error = redact(s.error().what());
    d.needs_credentials = d.code == ExitCode::kAuth && !soap.has_credentials();
  }
}

}  // namespace cctv::discover
