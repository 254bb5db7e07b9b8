// SPDX-License-Identifier: MIT
// Tests for WS-Discovery: Probe, ProbeMatches (samples after the WS-Discovery 2005/04 schema), XAddrs,
// scopes, and a unicast exchange with a responder on 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "soap.hpp"
#include "wsdiscovery.hpp"

using namespace cctv;
using namespace cctv::discover;

namespace {

// A ProbeMatch as a Dahua-like camera sends it: two XAddrs (IPv4 0.0.0.0 and
// IPv6 link-local), prefixes of its own, percent-encoded scopes.
std::string probe_matches(const std::string& endpoint, const std::string& xaddrs, const std::string& relates_to = "x") {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
  xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
  xmlns:wsdd="http://schemas.xmlsoap.org/ws/2005/04/discovery"
  xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
 <SOAP-ENV:Header>
  <wsa:MessageID>urn:uuid:11111111-2222-3333-4444-555555555555</wsa:MessageID>
  <wsa:RelatesTo>)" + relates_to + R"(</wsa:RelatesTo>
  <wsa:To SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>
  <wsa:Action SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>
 </SOAP-ENV:Header>
 <SOAP-ENV:Body>
  <wsdd:ProbeMatches>
   <wsdd:ProbeMatch>
    <wsa:EndpointReference><wsa:Address>)" + endpoint + R"(</wsa:Address></wsa:EndpointReference>
    <wsdd:Types>dn:NetworkVideoTransmitter tds:Device</wsdd:Types>
    <wsdd:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming
      onvif://www.onvif.org/name/Front%20Door onvif://www.onvif.org/hardware/IPC-HDW2431T
      onvif://www.onvif.org/location/country/Germany onvif://www.onvif.org/location/Garage%2FEast</wsdd:Scopes>
    <wsdd:XAddrs>)" + xaddrs + R"(</wsdd:XAddrs>
    <wsdd:MetadataVersion>1</wsdd:MetadataVersion>
   </wsdd:ProbeMatch>
  </wsdd:ProbeMatches>
 </SOAP-ENV:Body>
</SOAP-ENV:Envelope>)";
}

// What a network printer answers to an empty Probe.
const char* const kPrinter = R"(<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof" xmlns:wprt="http://schemas.microsoft.com/windows/2006/08/wdp/print">
 <soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>
  <wsa:EndpointReference><wsa:Address>urn:uuid:printer</wsa:Address></wsa:EndpointReference>
  <wsd:Types>wsdp:Device wprt:PrintDeviceType</wsd:Types>
  <wsd:XAddrs>http://127.0.0.1:5357/printer</wsd:XAddrs>
 </wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>)";

// A UDP responder on 127.0.0.1 that answers the first Probe it gets with
// `answers`, datagram by datagram, and records what it received.
class Responder {
 public:
  explicit Responder(std::vector<std::string> answers) : answers_(std::move(answers)) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Responder() {
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  const std::vector<std::string>& received() const { return received_; }

 private:
  void serve() {
    // Bounded: a test that never probes does not hang.
    for (int i = 0; i < 4; ++i) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) return;
      char buf[65536];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) return;
      received_.emplace_back(buf, static_cast<size_t>(n));
      if (received_.size() > 1) continue;
      for (const std::string& a : answers_) {
        sendto(fd_, a.data(), a.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }
  }
  std::vector<std::string> answers_;
  int fd_ = -1;
  int port_ = 0;
  std::vector<std::string> received_;
  std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(discover_wsdiscovery)

BOOST_AUTO_TEST_CASE(probe_is_a_ws_discovery_probe) {
  const std::string id = new_message_id();
  BOOST_TEST(id.size() == 45u);
  BOOST_TEST(id.starts_with("urn:uuid:"));
  BOOST_TEST(id != new_message_id());
  auto doc = XmlDoc::parse(probe_message(id, true));
  BOOST_REQUIRE(doc);
  const std::string_view wsa = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
  const std::string_view wsd = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
  BOOST_TEST(doc->root().find(wsa, "Action").text() == "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe");
  BOOST_TEST(doc->root().find(wsa, "MessageID").text() == id);
  BOOST_TEST(doc->root().find(wsa, "To").text() == "urn:schemas-xmlsoap-org:ws:2005:04:discovery");
  const XmlNode types = soap_body(*doc).child(wsd, "Probe").child(wsd, "Types");
  BOOST_TEST(types.text() == "dn:NetworkVideoTransmitter");
  BOOST_TEST(types.lookup_namespace("dn") == "http://www.onvif.org/ver10/network/wsdl");
  auto any = XmlDoc::parse(probe_message(id, false));
  BOOST_REQUIRE(any);
  BOOST_TEST(soap_body(*any).child(wsd, "Probe").child(wsd, "Types").text().empty());
}

BOOST_AUTO_TEST_CASE(reads_probe_match_lists) {
  auto m = parse_probe_matches(probe_matches(
      "urn:uuid:cam-1", "\n  http://0.0.0.0:80/onvif/device_service   http://[fe80::1]/onvif/device_service\n"));
  BOOST_REQUIRE(m);
  BOOST_REQUIRE_EQUAL(m->size(), 1u);
  const ProbeMatch& p = m->front();
  BOOST_TEST(p.endpoint == "urn:uuid:cam-1");
  BOOST_REQUIRE_EQUAL(p.xaddrs.size(), 2u);
  BOOST_TEST(p.xaddrs[0] == "http://0.0.0.0:80/onvif/device_service");
  BOOST_REQUIRE_EQUAL(p.types.size(), 2u);
  BOOST_TEST(p.types[0] == "{http://www.onvif.org/ver10/network/wsdl}NetworkVideoTransmitter");
  BOOST_TEST(p.scopes.size() == 6u);
  BOOST_TEST(is_onvif(p));
}

BOOST_AUTO_TEST_CASE(printers_and_garbage_are_not_cameras) {
  auto printer = parse_probe_matches(kPrinter);
  BOOST_REQUIRE(printer);
  BOOST_REQUIRE_EQUAL(printer->size(), 1u);
  BOOST_TEST(!is_onvif(printer->front()));
  BOOST_TEST(!parse_probe_matches("\x01\x02 not xml").has_value());
  auto other = parse_probe_matches("<a/>");
  BOOST_REQUIRE(other);
  BOOST_TEST(other->empty());
}

BOOST_AUTO_TEST_CASE(scopes_give_name_hardware_location_decoded) {
  auto m = parse_probe_matches(probe_matches("urn:uuid:cam-1", "http://10.0.0.5/onvif/device_service"));
  BOOST_REQUIRE(m);
  const ScopeInfo s = read_scopes(m->front().scopes);
  BOOST_TEST(s.name == "Front Door");
  BOOST_TEST(s.hardware == "IPC-HDW2431T");
  BOOST_TEST(s.location == "country/Germany, Garage/East");
}

BOOST_AUTO_TEST_CASE(percent_decode_keeps_malformed_escapes) {
  BOOST_TEST(percent_decode("a%20b%2Fc") == "a b/c");
  BOOST_TEST(percent_decode("100%") == "100%");
  BOOST_TEST(percent_decode("%zz%4") == "%zz%4");
  BOOST_TEST(percent_decode("%C3%A9") == "\xC3\xA9");
}

BOOST_AUTO_TEST_CASE(xaddr_prefers_the_senders_address_and_http) {
  BOOST_TEST(choose_xaddr({"https://10.0.0.5/onvif/device_service", "http://10.0.0.5:8080/onvif/device_service"},
                          "10.0.0.5") == "http://10.0.0.5:8080/onvif/device_service");
  // Several addresses: the one that answered.
  BOOST_TEST(choose_xaddr({"http://192.168.1.64/onvif/device_service", "http://10.0.0.5/onvif/device_service"},
                          "10.0.0.5") == "http://10.0.0.5/onvif/device_service");
  // 0.0.0.0, loopback, NAT: the sender's address with the XAddr's port and path.
  BOOST_TEST(choose_xaddr({"http://0.0.0.0:8000/onvif/device_service"}, "10.0.0.5") ==
             "http://10.0.0.5:8000/onvif/device_service");
  BOOST_TEST(choose_xaddr({"http://127.0.0.1/onvif/device_service"}, "10.0.0.5") ==
             "http://10.0.0.5/onvif/device_service");
  BOOST_TEST(choose_xaddr({"https://10.0.0.5/onvif/device_service"}, "10.0.0.5").empty());
  BOOST_TEST(choose_xaddr({}, "10.0.0.5").empty());
}

BOOST_AUTO_TEST_CASE(host_port_forms) {
  auto a = parse_host_port("10.0.0.5", 3702, "--probe");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->host == "10.0.0.5");
  BOOST_TEST(a->port == 3702);
  auto b = parse_host_port("cam.local:8000", 80, "--host");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->host == "cam.local");
  BOOST_TEST(b->port == 8000);
  auto c = parse_host_port("[fe80::1]:80", 3702, "--probe");
  BOOST_REQUIRE(c);
  BOOST_TEST(c->host == "fe80::1");
  auto d = parse_host_port("fe80::1", 3702, "--probe");
  BOOST_REQUIRE(d);
  BOOST_TEST(d->host == "fe80::1");
  BOOST_TEST(d->port == 3702);
  for (const char* bad : {"", ":80", "h:0", "h:65536", "h:x", "h:", "[::1", "a/b"}) {
    auto e = parse_host_port(bad, 80, "--host");
    BOOST_TEST(!e.has_value(), bad);
    if (!e) BOOST_TEST(to_int(e.error().code) == to_int(ExitCode::kUsage));
  }
}

BOOST_AUTO_TEST_CASE(unicast_probe_collects_one_device_per_endpoint) {
  const std::string cam = probe_matches("urn:uuid:cam-1", "http://0.0.0.0:8080/onvif/device_service");
  Responder r({"garbage \x01", kPrinter, cam, cam});
  DiscoveryOptions o;
  o.wait = std::chrono::milliseconds(700);
  // A second, silent target keeps the exchange open for the whole wait.
  o.unicast = {"127.0.0.1:" + std::to_string(r.port()), "127.0.0.2:9"};
  int calls = 0;
  auto found = run_discovery(o, [&calls](const Discovered&) { ++calls; });
  BOOST_REQUIRE(found);
  BOOST_REQUIRE_EQUAL(found->size(), 1u);
  BOOST_TEST(calls == 1);
  const Discovered& d = found->front();
  BOOST_TEST(d.address == "127.0.0.1");
  BOOST_TEST(d.xaddr == "http://127.0.0.1:8080/onvif/device_service");
  BOOST_TEST(d.scopes.name == "Front Door");
  BOOST_REQUIRE(!r.received().empty());
  BOOST_TEST(r.received().front().find("discovery/Probe</") != std::string::npos);
  BOOST_TEST(r.received().size() == 4u);  // two Probes (any type, ONVIF type), each sent twice
}

BOOST_AUTO_TEST_CASE(unicast_probe_ends_when_every_target_answered) {
  Responder r({probe_matches("urn:uuid:cam-1", "http://127.0.0.1:8080/onvif/device_service")});
  DiscoveryOptions o;
  o.wait = std::chrono::milliseconds(3000);
  o.unicast = {"127.0.0.1:" + std::to_string(r.port())};
  const auto t0 = std::chrono::steady_clock::now();
  auto found = run_discovery(o, [](const Discovered&) {});
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1000)));
  BOOST_REQUIRE(found);
  BOOST_TEST(found->size() == 1u);
}

BOOST_AUTO_TEST_CASE(silence_is_an_empty_list_after_the_wait) {
  DiscoveryOptions o;
  o.wait = std::chrono::milliseconds(300);
  o.unicast = {"127.0.0.1:9"};  // discard: nobody answers
  const auto t0 = std::chrono::steady_clock::now();
  auto found = run_discovery(o, [](const Discovered&) {});
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  BOOST_REQUIRE(found);
  BOOST_TEST(found->empty());
  BOOST_TEST((elapsed >= std::chrono::milliseconds(300)));
  BOOST_TEST((elapsed < std::chrono::milliseconds(1500)));
}

BOOST_AUTO_TEST_CASE(unknown_interface_is_a_usage_error) {
  DiscoveryOptions o;
  o.interface = "no-such-if0";
  auto found = run_discovery(o, [](const Discovered&) {});
  BOOST_REQUIRE(!found);
  BOOST_TEST(to_int(found.error().code) == to_int(ExitCode::kUsage));
}

BOOST_AUTO_TEST_SUITE_END()
