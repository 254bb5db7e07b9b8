// SPDX-License-Identifier: MIT
// SIGINT/SIGTERM: the first asks every loop to finish, the second exits at once.
#include "cctv/signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace cctv {

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int sig) {
  if (g_stop.exchange(true)) _exit(128 + sig);
}

}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

void request_stop() { g_stop.store(true); }

}  // namespace cctv
