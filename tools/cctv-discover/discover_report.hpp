// SPDX-License-Identifier: MIT
// cctv-discover's output: a table, one JSON document, or environment-file lines.
#pragma once

#include <string>
#include <vector>

#include "onvif.hpp"

namespace cctv::discover {

// One row per profile (the device's columns on its first row only), a row
// with the error for a device that failed. For people: use --json to parse.
// Every URL redacted.
[[nodiscard]] std::string text_report(const std::vector<Device>& devices);

// {"tool":"cctv-discover","version":...,"devices":[...]} as the man page
// documents it; unknown values are null. Every URL redacted.
[[nodiscard]] std::string json_report(const std::vector<Device>& devices);

// Per device, the settings of a per-camera unit (systemd/cctv-record@.service,
// cctv-hls@.service: /etc/cctv/NAME.conf): comment lines naming the device and
// a suggested NAME, then CCTV_URL= with the main profile's stream URI, its
// userinfo removed (a password there would show in ps), and CCTV_USER= when
// `user` is given. A device without a stream URI gets a comment saying why.
[[nodiscard]] std::string conf_report(const std::vector<Device>& devices, const std::string& user);

// A name for a camera's unit instance and files: the scope name (else the
// address) in lower case, with runs of anything but a-z, 0-9 and - as one '-'.
[[nodiscard]] std::string unit_name(const Device& d);

}  // namespace cctv::discover
