// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's body: one hub and capture thread per camera, one HTTP server.
#include "serve.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "capture.hpp"
#include "cctv/log.hpp"
#include "cctv/notify.hpp"
#include "cctv/signals.hpp"
#include "cctv/url.hpp"
#include "server.hpp"

namespace cctv::mjpeg {

namespace {

// Each viewer is a socket: lifts the soft descriptor limit (often 1024) to the
// hard one so that hundreds of viewers fit. Returns the soft limit then in force.
std::uint64_t raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return std::numeric_limits<std::uint64_t>::max();  // no limit we know of
  if (r.rlim_cur < r.rlim_max) {
    const rlim_t before = r.rlim_cur;
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
      log_debug("cannot raise the descriptor limit from {} to {}", before, r.rlim_max);
      r.rlim_cur = before;
    }
  }
  return r.rlim_cur == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max() : r.rlim_cur;
}

// --max-clients as served: the viewers the descriptor limit has room for, or
// fewer when asked; more is lowered to it with a warning (not refused, so that
// a service keeps starting when its limit shrinks).
int max_viewers(const Options& o) {
  const std::uint64_t limit = raise_fd_limit();
  const int capacity = viewer_capacity(limit, o.cameras.size());
  if (o.max_clients > capacity) {
    log_warn("--max-clients {}: the open-file limit ({}) leaves room for {} viewer(s) with {} camera(s); serving {}",
             o.max_clients, limit, capacity, o.cameras.size(), capacity);
  }
  return o.max_clients == 0 ? capacity : std::min(o.max_clients, capacity);
}

std::string display_of(const CameraSpec& c) { return c.is_stdin() ? std::string("stdin") : redact(c.url); }

// "2/3 cameras connected, 5 viewers, 25.0 fps in": the line `systemctl status` shows.
std::string status_line(const std::vector<std::shared_ptr<Hub>>& hubs) {
  int connected = 0;
  int viewers = 0;
  double fps = 0;
  for (const auto& h : hubs) {
    const CameraStats st = h->stats(SteadyClock::now());
    connected += st.connected ? 1 : 0;
    viewers += st.viewers;
    fps += st.fps;
  }
  return fmt::format("{}/{} camera(s) connected, {} viewer(s), {:.1f} fps in", connected, hubs.size(), viewers, fps);
}

// Under systemd: STATUS= every second and the watchdog fed while the process
// runs. A server's cameras connect only on demand, so unlike the recorders
// its watchdog cannot wait for packets; it proves the process is alive.
class ServiceReporter {
 public:
  explicit ServiceReporter(const std::vector<std::shared_ptr<Hub>>& hubs) {
    if (!notify::enabled()) return;
    thread_ = std::thread([this, &hubs] {
      while (!done_ && !stop_requested()) {
        notify::status(status_line(hubs));
        notify::watchdog_ping();
        for (int i = 0; i < 10 && !done_ && !stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~ServiceReporter() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  ServiceReporter(const ServiceReporter&) = delete;
  ServiceReporter& operator=(const ServiceReporter&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int viewer_capacity(std::uint64_t fd_limit, std::size_t cameras) {
  const std::uint64_t reserve = kReservedFds + kFdsPerCamera * cameras;
  const std::uint64_t room = fd_limit > reserve ? fd_limit - reserve : 1;
  return static_cast<int>(std::clamp<std::uint64_t>(room, 1, std::numeric_limits<int>::max()));
}

Result<ExitCode> run(const Options& o) {
  Options served = o;
  served.max_clients = max_viewers(o);
  log_debug("at most {} stream viewer(s)", served.max_clients);
  std::vector<std::shared_ptr<Hub>> hubs;
  HlsConfig hls;
  hls.segment_ticks = std::llround(o.hls_segment_time * kHlsTicks);
  hls.part_ticks = std::llround(o.hls_part_time * kHlsTicks);
  hls.always = o.always_on;
  for (const auto& c : o.cameras) hubs.push_back(std::make_shared<Hub>(c.name, display_of(c), hls));
  Server server(served, hubs);
  auto url = server.listen();
  if (!url) return fail(url.error());
  // The URL on stdout is the tool's one line of data: scripts (and tests
  // using --listen 127.0.0.1:0) read the port from it.
  std::fputs((*url + "\n").c_str(), stdout);
  std::fflush(stdout);
  log_info("serving {} camera(s) on {}", o.cameras.size(), *url);
  notify::ready("listening on " + *url);
  ServiceReporter reporter(hubs);
  std::vector<std::unique_ptr<Capture>> captures;
  for (std::size_t i = 0; i < o.cameras.size(); ++i) {
    captures.push_back(std::make_unique<Capture>(o.cameras[i], o, hubs[i]));
  }
  server.run();
  notify::stopping();
  for (auto& c : captures) c->finish(std::chrono::milliseconds(2000));
  log_info("stopped");
  return ExitCode::kOk;
}

}  // namespace cctv::mjpeg
