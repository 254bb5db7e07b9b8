// SPDX-License-Identifier: MIT
// cctv-discover's logic: find devices (or take --host), ask them all at once, optionally check streams.
#pragma once

#include <string>
#include <vector>

#include "cctv/cli.hpp"
#include "onvif.hpp"
#include "wsdiscovery.hpp"

namespace cctv::discover {

enum class Format { kText, kJson, kConf };

struct Options {
  InputCliOptions input;          // --timeout (per request), --user, --password-file, --transport (--check)
  std::vector<std::string> hosts;  // --host: skip discovery
  DiscoveryOptions discovery;
  Format format = Format::kText;
  bool check = false;
};

// The device service URL of a --host value: "ADDR", "ADDR:PORT" (default
// port 80, path /onvif/device_service) or a whole http:// URL for devices
// with another path (/onvif/devices). kUsage for anything else.
[[nodiscard]] Result<std::string> host_xaddr(std::string_view host);

// Finds the devices (WS-Discovery, or the --host list), asks each on its own
// thread as soon as it is known (at most 16 at a time), runs --check on
// their profiles, and returns them sorted by address. Credentials must have
// been resolved into opts.input.source. Errors are discovery's (bad
// --interface, no socket); a device's failure is in its Device.
[[nodiscard]] Result<std::vector<Device>> find_devices(const Options& opts);

// The exit status for `devices`: kUnreachable when there are none, else the
// worst of their codes and their --check results, not counting devices that wanted credentials when
// none were given (they are listed, which is what was asked).
[[nodiscard]] ExitCode exit_status(const std::vector<Device>& devices);

}  // namespace cctv::discover
