// SPDX-License-Identifier: MIT
// --on-segment commands on Boost.Process v2; the only file that includes Boost.Process (slow to compile).
#include "hooks.hpp"

#include <csignal>
#include <deque>
#include <thread>
#include <vector>

#include <signal.h>

// Boost.Process v2 on std::filesystem needs these two first (Boost 1.81), and
// its sources compiled here (its header-only mode is incomplete in 1.81).
#define BOOST_PROCESS_V2_SEPARATE_COMPILATION 1
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/process/v2.hpp>
#include <boost/process/v2/src.hpp>

#include "cctv/log.hpp"

namespace cctv::record {

namespace bp = boost::process::v2;

namespace {

// Runs in the child between fork and exec: the recorder ignores SIGPIPE and
// catches SIGTERM; the hook gets the defaults back.
struct DefaultSignals {
  boost::system::error_code on_exec_setup(bp::posix::default_launcher&, const std::filesystem::path&,
                                          const char* const*) {
    std::signal(SIGPIPE, SIG_DFL);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    return {};
  }
};

struct Running {
  bp::process proc;
  std::string segment;
};

}  // namespace

struct HookRunner::Impl {
  std::string command;
  size_t jobs;
  boost::asio::io_context ctx;
  std::deque<std::string> waiting;
  std::vector<Running> running;

  void start(const std::string& segment) {
    try {
      bp::process p(ctx, "/bin/sh", {"-c", command + " \"$1\"", "cctv-record-hook", segment},
                    bp::process_stdio{nullptr, stderr, {}}, DefaultSignals{});
      running.push_back({std::move(p), segment});
    } catch (const std::exception& e) {
      log_error("--on-segment: cannot start for '{}': {}", segment, e.what());
    }
  }

  void reap() {
    for (auto it = running.begin(); it != running.end();) {
      boost::system::error_code ec;
      if (it->proc.running(ec) && !ec) {
        ++it;
        continue;
      }
      const int code = it->proc.exit_code();
      if (ec) {
        log_error("--on-segment for '{}': {}", it->segment, ec.message());
      } else if (code != 0) {
        log_error("--on-segment for '{}' failed with status {}", it->segment, code);
      } else {
        log_debug("--on-segment for '{}' done", it->segment);
      }
      it = running.erase(it);
    }
  }
};

HookRunner::HookRunner(std::string command, int jobs) : impl_(std::make_unique<Impl>()) {
  impl_->command = std::move(command);
  impl_->jobs = static_cast<size_t>(std::max(1, jobs));
}

HookRunner::~HookRunner() {
  for (auto& r : impl_->running) {
    log_warn("--on-segment for '{}' still runs; leaving it", r.segment);
    r.proc.detach();
  }
}

void HookRunner::submit(const std::filesystem::path& segment) {
  if (impl_->waiting.size() >= kMaxQueued) {
    log_warn("--on-segment: {} commands waiting; skipping '{}'", impl_->waiting.size(), impl_->waiting.front());
    impl_->waiting.pop_front();
  }
  impl_->waiting.push_back(segment.string());
  poll();
}

void HookRunner::poll() {
  impl_->reap();
  while (!impl_->waiting.empty() && impl_->running.size() < impl_->jobs) {
    impl_->start(impl_->waiting.front());
    impl_->waiting.pop_front();
  }
}

void HookRunner::drain(std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  poll();
  while ((!impl_->running.empty() || !impl_->waiting.empty()) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    poll();
  }
}

}  // namespace cctv::record
