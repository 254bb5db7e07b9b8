// SPDX-License-Identifier: MIT
// cctv-discover's options, and the run that ties discovery, report and exit status.
#include "options.hpp"

#include <cmath>
#include <cstdio>
#include <memory>

#include <CLI/CLI.hpp>

#include "cctv/log.hpp"
#include "discover.hpp"
#include "discover_report.hpp"

namespace cctv::embedded {
extern const char* const cctv_discover_man_template;
}

namespace cctv::discover {

const ToolSpec kSpec{
    "cctv-discover",
    "Find ONVIF cameras on the network and list their RTSP and snapshot URLs",
    embedded::cctv_discover_man_template,
};

namespace {

// A request to a camera on the LAN answers in milliseconds; five seconds
// bound a dead one without stalling the whole listing for long.
constexpr std::chrono::milliseconds kDefaultTimeout{5000};

Result<ExitCode> run(Options& o) {
  for (const std::string& h : o.hosts) {
    if (auto x = host_xaddr(h); !x) return fail(x.error());
  }
  for (const std::string& p : o.discovery.unicast) {
    if (auto hp = parse_host_port(p, kDiscoveryPort, "--probe"); !hp) return fail(hp.error());
  }
  if (auto s = resolve_credentials(o.input); !s) return fail(s.error());
  auto devices = find_devices(o);
  if (!devices) return fail(devices.error());
  for (const Device& d : *devices) {
    if (d.needs_credentials) log_notice("{}", d.error);
    else if (!d.error.empty()) log_error("{}", d.error);
  }
  const ExitCode code = exit_status(*devices);
  if (devices->empty()) {
    log_error("no ONVIF device answered within {:g} s", o.discovery.wait.count() / 1000.0);
  }
  const std::string out = o.format == Format::kJson   ? json_report(*devices)
                          : o.format == Format::kConf ? conf_report(*devices, o.input.source.user)
                                                      : text_report(*devices);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return fail(ExitCode::kOutput, "cannot write to stdout");
  }
  return code;
}

void add_discovery_options(CLI::App& app, Options& o) {
  const std::string group = "Discovery";
  auto* host = app.add_option("--host", o.hosts,
                              "Skip discovery and ask this device: ADDR[:PORT] (port 80, path /onvif/device_service) "
                              "or its device service URL; repeatable")
                   ->type_name("ADDR")
                   ->group(group);
  auto* probe = app.add_option("--probe", o.discovery.unicast,
                               "Send the WS-Discovery Probe to ADDR[:PORT] (port 3702) instead of multicast, e.g. "
                               "across subnets; repeatable")
                    ->type_name("ADDR")
                    ->group(group);
  auto* itf = app.add_option("--interface", o.discovery.interface,
                             "Send the multicast Probe from this interface (IPv4 address or name) only "
                             "[default: every multicast interface]")
                  ->type_name("ADDR")
                  ->group(group);
  auto* wait = app.add_option_function<double>(
                      "--wait",
                      [&o](double s) { o.discovery.wait = std::chrono::milliseconds(std::lround(s * 1000)); },
                      "Seconds to collect answers to the Probe")
                   ->check(finite_range(0.1, 600.0))
                   ->default_str("2")
                   ->type_name("SECONDS")
                   ->group(group);
  host->excludes(probe)->excludes(itf)->excludes(wait);
  probe->excludes(itf);
  // For tests in a network namespace: the port multicast Probes go to.
  app.add_option("--discovery-port", o.discovery.port, "WS-Discovery port")->check(CLI::Range(1, 65535))->group("");
}

}  // namespace

ToolRun define(CLI::App& app) {
  auto o = std::make_shared<Options>();
  add_discovery_options(app, *o);
  add_input_options(app, o->input);
  o->input.source.timeout = kDefaultTimeout;
  app.get_option("--timeout")
      ->description("Seconds to wait for each request to a camera (and, with --check, for its stream) before "
                    "giving up on it (exit 3)")
      ->default_str("5");
  app.get_option("--transport")->description("RTSP transport for --check; auto: tcp, or udp when the camera refuses tcp");
  auto* json = app.add_flag_callback("--json", [o] { o->format = Format::kJson; },
                                     "Print one JSON document (fields in the man page); same as --format json");
  app.add_option_function<std::string>(
         "--format",
         [o](const std::string& f) {
           o->format = f == "json" ? Format::kJson : f == "conf" ? Format::kConf : Format::kText;
         },
         "Output: text (a table), json, or conf (CCTV_URL= lines for /etc/cctv/NAME.conf)")
      ->check(CLI::IsMember({"text", "json", "conf"}))
      ->default_str("text")
      ->type_name("FORMAT")
      ->excludes(json);
  app.add_flag("--check", o->check, "Open each stream URI and report its codec, size and first keyframe");
  return [o]() -> cctv::Result<ExitCode> { return run(*o); };
}

}  // namespace cctv::discover
