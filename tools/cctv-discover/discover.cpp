// SPDX-License-Identifier: MIT
// find_devices(): discovery, one thread per device, --check, the exit status.
#include "discover.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <deque>
#include <semaphore>
#include <thread>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "check.hpp"
#include "http.hpp"

namespace cctv::discover {

namespace {

// Devices asked at once. Each is a thread that mostly waits on the network.
constexpr std::ptrdiff_t kParallel = 16;

// Asks one device and checks its streams; runs on its own thread.
void ask_and_check(Device& d, const Options& opts) {
  const SourceOptions& src = opts.input.source;
  const auto timeout = src.timeout;
  SoapClient soap([timeout](const HttpRequest& r) { return http_post(r, timeout); },
                  Credentials{src.user, src.password});
  ask_device(d, soap);
  if (d.error.empty()) {
    log_info("{}: {} {}, {} profile(s)", d.address, d.info.maker, d.info.model, d.profiles.size());
  }
  if (!opts.check) return;
  for (Profile& p : d.profiles) {
    if (!p.stream_uri.empty()) p.check = check_stream(p.stream_uri, src);
  }
}

// Numeric order for IPv4 addresses (10.0.0.9 before 10.0.0.10), then text.
bool address_less(const Device& a, const Device& b) {
  in_addr x{};
  in_addr y{};
  const bool xa = inet_pton(AF_INET, a.address.c_str(), &x) == 1;
  const bool ya = inet_pton(AF_INET, b.address.c_str(), &y) == 1;
  if (xa && ya && x.s_addr != y.s_addr) return ntohl(x.s_addr) < ntohl(y.s_addr);
  if (xa != ya) return xa;
  return std::tie(a.address, a.xaddr) < std::tie(b.address, b.xaddr);
}

}  // namespace

Result<std::string> host_xaddr(std::string_view host) {
  if (host.find("://") != std::string_view::npos) {
    auto u = parse_http_url(host);
    if (!u) return fail(ExitCode::kUsage, "--host " + u.error().message);
    return std::string(host);
  }
  auto hp = parse_host_port(host, 80, "--host");
  if (!hp) return fail(hp.error());
  const std::string h = hp->host.find(':') != std::string::npos ? "[" + hp->host + "]" : hp->host;
  return hp->port == 80 ? fmt::format("http://{}/onvif/device_service", h)
                        : fmt::format("http://{}:{}/onvif/device_service", h, hp->port);
}

Result<std::vector<Device>> find_devices(const Options& opts) {
  // Declared so that the threads are joined (destroyed) first, whatever the way out.
  std::deque<Device> devices;  // stable addresses: threads fill them while discovery appends
  std::counting_semaphore<kParallel> slots(kParallel);
  std::vector<std::jthread> threads;
  const auto start = [&](Device d) {
    Device& slot = devices.emplace_back(std::move(d));
    threads.emplace_back([&slot, &opts, &slots] {
      slots.acquire();
      ask_and_check(slot, opts);
      slots.release();
    });
  };
  if (!opts.hosts.empty()) {
    std::vector<std::string> xaddrs;
    for (const std::string& h : opts.hosts) {
      auto xaddr = host_xaddr(h);
      if (!xaddr) return fail(xaddr.error());
      xaddrs.push_back(std::move(*xaddr));
    }
    for (std::string& xaddr : xaddrs) {
      Device d;
      d.xaddr = std::move(xaddr);
      d.address = url_host(d.xaddr);
      start(std::move(d));
    }
  } else {
    auto found = run_discovery(opts.discovery, [&](const Discovered& f) {
      Device d;
      d.address = f.address;
      d.xaddr = f.xaddr;
      d.scopes = f.scopes;
      start(std::move(d));
    });
    if (!found) return fail(found.error());  // the threads already started are joined on the way out
  }
  threads.clear();
  std::vector<Device> out(std::make_move_iterator(devices.begin()), std::make_move_iterator(devices.end()));
  std::stable_sort(out.begin(), out.end(), address_less);
  return out;
}

ExitCode exit_status(const std::vector<Device>& devices) {
  if (devices.empty()) return ExitCode::kUnreachable;
  ExitCode code = ExitCode::kOk;
  for (const Device& d : devices) {
    if (d.needs_credentials) continue;
    code = worst(code, d.code);
    for (const Profile& p : d.profiles) {
      if (p.check) code = worst(code, p.check->code);
    }
  }
  return code;
}

}  // namespace cctv::discover
