// SPDX-License-Identifier: MIT
// ONVIF Device and Media (1 and 2) services: what a device is and where its streams are.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"
#include "soap.hpp"
#include "wsdiscovery.hpp"
#include "xml.hpp"

namespace cctv::discover {

// What opening a stream URI showed (--check).
struct StreamCheck {
  ExitCode code = ExitCode::kOk;
  std::string error;  // one line, redacted; empty when the stream opened
  std::string codec;  // FFmpeg's name
  int width = 0;
  int height = 0;
  std::optional<double> keyframe_ms;  // from the start until the first keyframe arrived
};

// One media profile, from Media2 when the device has it, else from Media.
struct Profile {
  std::string token;
  std::string name;
  std::string codec;  // FFmpeg's names: h264, hevc, mjpeg, mpeg4; else the ONVIF name in lower case
  int width = 0;      // 0: unknown
  int height = 0;
  double fps = 0;          // the encoder's frame rate limit; 0: unknown
  int bitrate_kbps = 0;    // the encoder's bitrate limit; 0: unknown
  std::string stream_uri;  // RTSP, as the device gave it (hosts fixed by usable_url())
  std::string snapshot_uri;
  bool media2 = false;  // described by Media2 (asked there for its URIs)
  std::optional<StreamCheck> check;
};

struct DeviceInformation {
  std::string maker;
  std::string model;
  std::string firmware;
  std::string serial;
};

// A device as cctv-discover reports it.
struct Device {
  std::string address;  // the IP address (or --host name) we reached it at
  std::string xaddr;    // its device service URL
  ScopeInfo scopes;     // from the ProbeMatch; empty with --host
  DeviceInformation info;
  std::optional<long> clock_offset_s;  // camera UTC - ours, seconds
  std::vector<Profile> profiles;
  ExitCode code = ExitCode::kOk;  // what this device alone would make the exit status
  std::string error;              // one line, empty when all went well
  bool needs_credentials = false; // refused us, and no credentials were given
};

// Where a device's media services are.
struct MediaServices {
  std::string media;   // Media (ver10), "" when none
  std::string media2;  // Media2 (ver20), "" when none
};

// --- reading answers (pure: Body element in, values out) ---------------------

// The camera's UTC clock from a GetSystemDateAndTime answer. kFailure when
// it has no valid UTCDateTime (some cameras give local time only).
[[nodiscard]] Result<std::chrono::system_clock::time_point> parse_system_date_time(XmlNode body);
[[nodiscard]] DeviceInformation parse_device_information(XmlNode body);
// From GetServices: the XAddrs of the services with the Media and Media2 namespaces.
[[nodiscard]] MediaServices parse_services(XmlNode body);
// From GetCapabilities: the Media XAddr (Media2 is not listed there).
[[nodiscard]] MediaServices parse_capabilities(XmlNode body);
// Profiles of a Media or Media2 GetProfiles answer (told apart by namespace),
// with the video encoder's settings; no URIs yet.
[[nodiscard]] std::vector<Profile> parse_profiles(XmlNode body);
// The URI of a GetStreamUri or GetSnapshotUri answer, Media or Media2; "" when none.
[[nodiscard]] std::string parse_media_uri(XmlNode body);

// Media and Media2 profiles merged by token: Media2's where both have a
// token (it knows H.265: agsh/onvif #187), in Media2's order, then the
// tokens only Media has. URIs already found are kept.
[[nodiscard]] std::vector<Profile> merge_profiles(std::vector<Profile> media, std::vector<Profile> media2);

// ONVIF encoding names ("H264", "H265", "JPEG", "MPEG4", "MP4V-ES") as FFmpeg's.
[[nodiscard]] std::string codec_name(std::string_view encoding);

// `url` with its host replaced by `reached` (the host the device answered
// at) when the device gave one nobody can use: 0.0.0.0 or ::, or a loopback
// address while it is not on this machine (Xiaomi-Dafang-Hacks #1752).
[[nodiscard]] std::string usable_url(std::string_view url, std::string_view reached);

// The profile a per-camera unit should record: the largest picture among
// those with a stream URI (the first of equals). nullptr when none has a URI.
[[nodiscard]] const Profile* main_profile(const Device& d);

// --- asking a device ---------------------------------------------------------

// Asks the device at d.xaddr for its clock (without credentials; an Axis that
// wants them for that too is asked again with them), identity, services,
// profiles (Media2 and Media) and their stream and snapshot URIs, filling `d`.
// Failures land in d.code and d.error, with what was learnt before them
// kept: unreachable (kUnreachable), credentials refused or missing (kAuth,
// needs_credentials when none were given), no answer we understand
// (kFailure). Faults of optional operations (GetServices, Media2,
// GetSnapshotUri) are not failures. Asks one request at a time through
// `soap`, which is not shared.
void ask_device(Device& d, SoapClient& soap);

}  // namespace cctv::discover
