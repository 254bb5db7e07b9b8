// SPDX-License-Identifier: MIT
// WS-Discovery: Probe building, ProbeMatch parsing (libxml2), and the UDP exchange (Asio).
#include "wsdiscovery.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/signals.hpp"
#include "http.hpp"
#include "soap.hpp"
#include "xml.hpp"

namespace cctv::discover {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

// WS-Discovery 2005/04 (ONVIF) and 1.1 (2009/01); WS-Addressing 2004/08 and 1.0.
constexpr std::array kDiscoveryNs = {std::string_view("http://schemas.xmlsoap.org/ws/2005/04/discovery"),
                                     std::string_view("http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01")};
constexpr std::array kAddressingNs = {std::string_view("http://schemas.xmlsoap.org/ws/2004/08/addressing"),
                                      std::string_view("http://www.w3.org/2005/08/addressing")};
constexpr std::string_view kNetworkNs = "http://www.onvif.org/ver10/network/wsdl";  // dn
constexpr std::string_view kOnvifScope = "onvif://www.onvif.org/";

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
    const size_t b = i;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) == 0) ++i;
    if (i > b) out.emplace_back(s.substr(b, i - b));
  }
  return out;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

XmlNode child_of(XmlNode n, const std::array<std::string_view, 2>& nss, std::string_view local) {
  for (const std::string_view ns : nss) {
    if (XmlNode c = n.child(ns, local)) return c;
  }
  return {};
}

// "dn:NetworkVideoTransmitter" -> "{http://www.onvif.org/ver10/network/wsdl}NetworkVideoTransmitter".
std::string resolve_qname(XmlNode scope, const std::string& qname) {
  const size_t colon = qname.find(':');
  const std::string prefix = colon == std::string::npos ? "" : qname.substr(0, colon);
  const std::string local = colon == std::string::npos ? qname : qname.substr(colon + 1);
  return "{" + scope.lookup_namespace(prefix) + "}" + local;
}

ProbeMatch read_match(XmlNode m) {
  ProbeMatch out;
  out.endpoint = child_of(child_of(m, kAddressingNs, "EndpointReference"), kAddressingNs, "Address").text();
  const XmlNode types = child_of(m, kDiscoveryNs, "Types");
  for (const std::string& t : split_ws(types.text())) out.types.push_back(resolve_qname(types, t));
  out.scopes = split_ws(child_of(m, kDiscoveryNs, "Scopes").text());
  out.xaddrs = split_ws(child_of(m, kDiscoveryNs, "XAddrs").text());
  return out;
}

}  // namespace

std::string new_message_id() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", static_cast<unsigned char>(b[i]));
  }
  return "urn:uuid:" + hex;
}

std::string probe_message(std::string_view message_id, bool onvif_types) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
      "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
      "xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" xmlns:dn=\"{}\">"
      "<s:Header>"
      "<a:Action s:mustUnderstand=\"1\">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>"
      "<a:MessageID>{}</a:MessageID>"
      "<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
      "<a:To s:mustUnderstand=\"1\">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"
      "</s:Header>"
      "<s:Body><d:Probe>{}<d:Scopes/></d:Probe></s:Body></s:Envelope>",
      kNetworkNs, xml_escape(message_id), onvif_types ? "<d:Types>dn:NetworkVideoTransmitter</d:Types>" : "<d:Types/>");
}

Result<std::vector<ProbeMatch>> parse_probe_matches(std::string_view datagram) {
  auto doc = XmlDoc::parse(datagram);
  if (!doc) return fail(doc.error());
  std::vector<ProbeMatch> out;
  const XmlNode body = soap_body(*doc);
  for (const std::string_view dns : kDiscoveryNs) {
    for (const XmlNode m : body.child(dns, "ProbeMatches").children(dns, "ProbeMatch")) out.push_back(read_match(m));
  }
  return out;
}

bool is_onvif(const ProbeMatch& m) {
  for (const std::string& t : m.types) {
    if (t.starts_with("{" + std::string(kNetworkNs) + "}") || t.starts_with("{" + std::string(ns::kDevice) + "}")) {
      return true;
    }
  }
  for (const std::string& s : m.scopes) {
    if (starts_with_icase(s, kOnvifScope)) return true;
  }
  for (const std::string& x : m.xaddrs) {
    if (x.find("onvif") != std::string::npos) return true;
  }
  return false;
}

std::string choose_xaddr(const std::vector<std::string>& xaddrs, std::string_view sender) {
  std::string first;
  for (const std::string& x : xaddrs) {
    auto u = parse_http_url(x);
    if (!u) continue;
    if (u->host == sender) return x;
    if (first.empty()) first = x;
  }
  return first.empty() ? first : url_with_host(first, sender);
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int v = 0;
    if (s[i] == '%' && i + 2 < s.size()) {
      const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && end == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

ScopeInfo read_scopes(const std::vector<std::string>& scopes) {
  ScopeInfo info;
  for (const std::string& s : scopes) {
    if (!starts_with_icase(s, kOnvifScope)) continue;
    const std::string_view rest = std::string_view(s).substr(kOnvifScope.size());
    const auto value = [&](std::string_view category) -> std::optional<std::string> {
      if (!starts_with_icase(rest, category)) return std::nullopt;
      return percent_decode(rest.substr(category.size()));
    };
    if (auto v = value("name/"); v && info.name.empty()) info.name = *v;
    else if (auto h = value("hardware/"); h && info.hardware.empty()) info.hardware = *h;
    else if (auto l = value("location/"); l && !l->empty()) info.location += (info.location.empty() ? "" : ", ") + *l;
  }
  return info;
}

Result<HostPort> parse_host_port(std::string_view text, int default_port, std::string_view option) {
  HostPort hp{std::string(text), default_port};
  std::string_view port_text;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return fail(ExitCode::kUsage, fmt::format("{} '{}': no ']'", option, text));
    hp.host = std::string(text.substr(1, close - 1));
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return fail(ExitCode::kUsage, fmt::format("{} '{}': expected ]:PORT", option, text));
      port_text = text.substr(close + 2);
    }
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos && text.find(':') == colon) {
    hp.host = std::string(text.substr(0, colon));  // one colon: host:port; more: a bare IPv6 address
    port_text = text.substr(colon + 1);
  }
  if (hp.host.empty()) return fail(ExitCode::kUsage, fmt::format("{} '{}': no host", option, text));
  if (text.find_first_of("/ ") != std::string_view::npos) {
    return fail(ExitCode::kUsage, fmt::format("{} '{}': expected ADDR or ADDR:PORT", option, text));
  }
  if (!port_text.empty() || text.ends_with(":")) {
    int p = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || p < 1 || p > 65535) {
      return fail(ExitCode::kUsage, fmt::format("{} '{}': bad port", option, text));
    }
    hp.port = p;
  }
  return hp;
}

namespace {

// The IPv4 addresses to send the multicast Probe from: the interface or
// address `wanted` names, or every interface that is up and multicast-capable.
Result<std::vector<asio::ip::address_v4>> multicast_interfaces(const std::string& wanted) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return fail(ExitCode::kFailure, "cannot list the network interfaces", strerror(errno));
  std::vector<asio::ip::address_v4> out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    const asio::ip::address_v4 a(ntohl(sin->sin_addr.s_addr));
    const bool usable = (i->ifa_flags & IFF_UP) != 0 && (i->ifa_flags & IFF_MULTICAST) != 0;
    if (wanted.empty() ? usable : (wanted == i->ifa_name || wanted == a.to_string())) out.push_back(a);
  }
  freeifaddrs(list);
  if (!wanted.empty() && out.empty()) {
    return fail(ExitCode::kUsage, fmt::format("--interface {}: no such interface or IPv4 address here", wanted));
  }
  return out;
}

// The unicast targets of --probe, resolved (IPv4: the socket is IPv4).
Result<std::vector<udp::endpoint>> unicast_targets(asio::io_context& ioc, const std::vector<std::string>& targets) {
  std::vector<udp::endpoint> out;
  udp::resolver resolver(ioc);
  for (const std::string& t : targets) {
    auto hp = parse_host_port(t, kDiscoveryPort, "--probe");
    if (!hp) return fail(hp.error());
    boost::system::error_code ec;
    const auto found = resolver.resolve(udp::v4(), hp->host, std::to_string(hp->port), ec);
    if (ec || found.empty()) {
      return fail(ExitCode::kUsage, fmt::format("--probe {}: not an IPv4 address or known host name", t), ec.message());
    }
    out.push_back(found.begin()->endpoint());
  }
  return out;
}

// One discovery run: a socket, its sends, its answers.
class Exchange {
 public:
  Exchange(asio::io_context& ioc, const DiscoveryOptions& opts, const std::function<void(const Discovered&)>& on_new)
      : opts_(opts), on_new_(on_new), socket_(ioc), deadline_(ioc), repeat_(ioc) {}

  Status start(std::vector<udp::endpoint> unicast, std::vector<asio::ip::address_v4> interfaces) {
    unicast_ = std::move(unicast);
    interfaces_ = std::move(interfaces);
    boost::system::error_code ec;
    if (socket_.open(udp::v4(), ec); !ec) socket_.bind(udp::endpoint(asio::ip::address_v4::any(), 0), ec);
    if (ec) return fail(ExitCode::kFailure, "cannot open a UDP socket", ec.message());
    for (const bool onvif_types : {false, true}) messages_.push_back(probe_message(new_message_id(), onvif_types));
    if (send_all() == 0) return fail(ExitCode::kUnreachable, "cannot send the WS-Discovery Probe anywhere");
    receive();
    deadline_.expires_after(opts_.wait);
    deadline_.async_wait([this](boost::system::error_code e) {
      if (!e) finish();
    });
    repeat_.expires_after(std::chrono::milliseconds(250));
    repeat_.async_wait([this](boost::system::error_code e) {
      if (!e && !finished_) send_all();
    });
    return {};
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    deadline_.cancel();
    repeat_.cancel();
  }

  std::vector<Discovered> take() { return std::move(found_); }

 private:
  // Sends every Probe to every target; returns how many sends succeeded.
  int send_all() {
    int sent = 0;
    boost::system::error_code ec;
    for (const std::string& m : messages_) {
      for (const udp::endpoint& to : unicast_) {
        socket_.send_to(asio::buffer(m), to, 0, ec);
        if (ec) log_debug("Probe to {}: {}", to.address().to_string(), ec.message());
        else ++sent;
      }
      if (!unicast_.empty()) continue;
      const udp::endpoint group(asio::ip::make_address_v4(kDiscoveryGroup), static_cast<unsigned short>(opts_.port));
      for (const auto& itf : interfaces_) {
        socket_.set_option(asio::ip::multicast::outbound_interface(itf), ec);
        if (!ec) socket_.send_to(asio::buffer(m), group, 0, ec);
        if (ec) log_debug("Probe from {}: {}", itf.to_string(), ec.message());
        else ++sent;
      }
      if (interfaces_.empty()) {  // no multicast interface listed: the kernel's default route
        socket_.send_to(asio::buffer(m), group, 0, ec);
        if (!ec) ++sent;
      }
    }
    return sent;
  }

  void receive() {
    socket_.async_receive_from(asio::buffer(buffer_), from_, [this](boost::system::error_code ec, size_t n) {
      if (ec || finished_) return;
      handle(std::string_view(buffer_.data(), n), from_.address().to_string(), from_);
      if (!finished_) receive();
    });
  }

  void handle(std::string_view datagram, const std::string& sender, const udp::endpoint& from) {
    auto matches = parse_probe_matches(datagram);
    if (!matches) {
      log_debug("{}: ignoring an answer that is not XML: {}", sender, matches.error().cause);
      return;
    }
    for (const ProbeMatch& m : *matches) {
      if (!is_onvif(m)) {
        log_debug("{}: ignoring a device that is not ONVIF ({})", sender, m.endpoint);
        continue;
      }
      Discovered d{sender, choose_xaddr(m.xaddrs, sender), m, {}};
      d.scopes = read_scopes(d.match.scopes);
      // A device answers each Probe, on each interface: one entry per endpoint.
      const std::string key = d.match.endpoint.empty() ? sender + " " + d.xaddr : d.match.endpoint;
      if (!seen_.insert(key).second) continue;
      log_info("{}: {} answered", sender, d.xaddr.empty() ? d.match.endpoint : d.xaddr);
      found_.push_back(d);
      on_new_(found_.back());
    }
    if (std::any_of(matches->begin(), matches->end(), is_onvif)) answered_.insert(from);
    // Unicast targets that all answered: nothing more to wait for. (A device
    // that answers from another port than it was asked at gets the whole wait.)
    if (!unicast_.empty() && std::all_of(unicast_.begin(), unicast_.end(), [this](const udp::endpoint& e) {
          return answered_.count(e) != 0;
        })) {
      finish();
    }
  }

  const DiscoveryOptions& opts_;
  const std::function<void(const Discovered&)>& on_new_;
  udp::socket socket_;
  asio::steady_timer deadline_;
  asio::steady_timer repeat_;
  std::vector<udp::endpoint> unicast_;
  std::vector<asio::ip::address_v4> interfaces_;
  std::vector<std::string> messages_;
  std::array<char, 65536> buffer_{};
  udp::endpoint from_;
  std::set<std::string> seen_;
  std::set<udp::endpoint> answered_;  // unicast targets that answered
  std::vector<Discovered> found_;
  bool finished_ = false;
};

}  // namespace

Result<std::vector<Discovered>> run_discovery(const DiscoveryOptions& opts,
                                              const std::function<void(const Discovered&)>& on_new) {
  asio::io_context ioc;
  std::vector<udp::endpoint> unicast;
  std::vector<asio::ip::address_v4> interfaces;
  if (!opts.unicast.empty()) {
    auto t = unicast_targets(ioc, opts.unicast);
    if (!t) return fail(t.error());
    unicast = std::move(*t);
  } else {
    auto i = multicast_interfaces(opts.interface);
    if (!i) return fail(i.error());
    interfaces = std::move(*i);
  }
  Exchange x(ioc, opts, on_new);
  if (auto s = x.start(std::move(unicast), std::move(interfaces)); !s) return fail(s.error());
  while (!ioc.stopped()) {
    ioc.run_for(std::chrono::milliseconds(100));
    if (stop_requested()) x.finish();
  }
  return x.take();
}

}  // namespace cctv::discover
