// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's body: one hub and capture thread per camera, one HTTP server.
#include "serve.hpp"

#include <sys/resource.h>

#include <cstdio>

#include "capture.hpp"
#include "cctv/log.hpp"
#include "cctv/url.hpp"
#include "server.hpp"

namespace cctv::mjpeg {

namespace {

// Each viewer is a socket: lift the soft descriptor limit (often 1024) to the
// hard one so that hundreds of viewers fit.
void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) log_debug("cannot raise the descriptor limit");
  }
}

std::string display_of(const CameraSpec& c) { return c.is_stdin() ? std::string("stdin") : redact(c.url); }

}  // namespace

Result<ExitCode> run(const Options& o) {
  raise_fd_limit();
  std::vector<std::shared_ptr<Hub>> hubs;
  for (const auto& c : o.cameras) hubs.push_back(std::make_shared<Hub>(c.name, display_of(c)));
  Server server(o, hubs);
  auto url = server.listen();
  if (!url) return fail(url.error());
  // The URL on stdout is the tool's one line of data: scripts (and tests
  // using --listen 127.0.0.1:0) read the port from it.
  std::fputs((*url + "\n").c_str(), stdout);
  std::fflush(stdout);
  log_info("serving {} camera(s) on {}", o.cameras.size(), *url);
  std::vector<std::unique_ptr<Capture>> captures;
  for (std::size_t i = 0; i < o.cameras.size(); ++i) {
    captures.push_back(std::make_unique<Capture>(o.cameras[i], o, hubs[i]));
  }
  server.run();
  for (auto& c : captures) c->finish(std::chrono::milliseconds(2000));
  log_info("stopped");
  return ExitCode::kOk;
}

}  // namespace cctv::mjpeg
