// SPDX-License-Identifier: MIT
// WS-Discovery (2005/04, as ONVIF uses it): the Probe, its answers, and the UDP exchange.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"

namespace cctv::discover {

inline constexpr std::string_view kDiscoveryGroup = "239.255.255.250";
inline constexpr int kDiscoveryPort = 3702;

// A Probe envelope with MessageID `message_id` ("urn:uuid:..."). With
// `onvif_types`, it asks for dn:NetworkVideoTransmitter only; without, for
// any device (go2rtc sends empty Types since some cameras answer nothing
// else: its #397), whose answers are then filtered by is_onvif().
[[nodiscard]] std::string probe_message(std::string_view message_id, bool onvif_types);

// "urn:uuid:" and a random (version 4) UUID.
[[nodiscard]] std::string new_message_id();

// One ProbeMatch, its lists split at white space.
struct ProbeMatch {
  std::string endpoint;              // EndpointReference/Address: the device's stable id (urn:uuid:...)
  std::vector<std::string> types;    // resolved QNames, "{namespace}local"
  std::vector<std::string> scopes;   // as sent (percent-encoded)
  std::vector<std::string> xaddrs;   // as sent
};

// Every ProbeMatch of one datagram. kFailure when it is not XML; an envelope
// without matches is an empty list.
[[nodiscard]] Result<std::vector<ProbeMatch>> parse_probe_matches(std::string_view datagram);

// True for a match that is an ONVIF device: an ONVIF type (dn:NetworkVideoTransmitter,
// tds:Device), an onvif:// scope, or "onvif" in an XAddr. Printers and PCs
// also answer an empty Probe.
[[nodiscard]] bool is_onvif(const ProbeMatch& m);

// The device service URL to use, from a match's XAddrs and the address its
// answer came from: the http XAddr on that address if there is one, else the
// first http XAddr with its host replaced by that address (XAddrs often carry
// 0.0.0.0, 127.0.0.1, a NAT or a link-local address: go2rtc #884, 4bbd3a1c).
// "" when there is no http XAddr.
[[nodiscard]] std::string choose_xaddr(const std::vector<std::string>& xaddrs, std::string_view sender);

// What the onvif://www.onvif.org/ scopes say, percent-decoded.
struct ScopeInfo {
  std::string name;      // name/...
  std::string hardware;  // hardware/...
  std::string location;  // location/..., several joined by ", "
};
[[nodiscard]] ScopeInfo read_scopes(const std::vector<std::string>& scopes);

// %XX sequences decoded; a malformed one is kept as it is.
[[nodiscard]] std::string percent_decode(std::string_view s);

// A device that answered, once per EndpointReference address.
struct Discovered {
  std::string address;  // the IP address the answer came from
  std::string xaddr;    // choose_xaddr()
  ProbeMatch match;
  ScopeInfo scopes;
};

struct DiscoveryOptions {
  std::chrono::milliseconds wait{2000};  // how long to collect answers
  // IPv4 address or interface name to send the multicast Probe from; empty:
  // every interface that is up and multicast-capable.
  std::string interface;
  // Unicast Probe targets, "ADDR" or "ADDR:PORT" (default port 3702); when
  // given, no multicast is sent.
  std::vector<std::string> unicast;
  int port = kDiscoveryPort;  // the multicast destination port (tests)
};

// Parses "ADDR[:PORT]" / "[V6]:PORT" into host and port, `default_port`
// when none is given. kUsage naming `option` for a bad port or empty host.
struct HostPort {
  std::string host;
  int port = 0;
};
[[nodiscard]] Result<HostPort> parse_host_port(std::string_view text, int default_port, std::string_view option);

// Sends the Probe (twice, 0.25 s apart, as SOAP-over-UDP repeats a message)
// and collects ProbeMatches until opts.wait has passed, or, with unicast
// targets only, until each target has answered. `on_new` runs on the calling
// thread for each new ONVIF device as soon as it answers, so that the caller
// can start asking it while others may still answer. Returns the devices in
// the order they answered. Errors: kUsage for a bad --interface or target;
// kUnreachable when the Probe could be sent nowhere; kFailure for a socket
// that cannot be opened. Nothing answering is an empty list, not an error.
// A termination signal ends the wait early.
[[nodiscard]] Result<std::vector<Discovered>> run_discovery(const DiscoveryOptions& opts,
                                                            const std::function<void(const Discovered&)>& on_new);

}  // namespace cctv::discover
