// SPDX-License-Identifier: MIT
// SIGINT/SIGTERM: the first asks every loop to finish, a later one exits at once.
#include "cctv/signals.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace cctv {

namespace {

// GNU timeout, and `kill` aimed at a process group, deliver one request as
// two signals a few microseconds apart. Only a signal this long after the
// first one is taken as a second request.
constexpr std::int64_t kRepeatWindowNs = 500'000'000;

// Monotonic time of the first signal in ns; 0 while none has arrived.
std::atomic<std::int64_t> g_first_ns{0};
static_assert(std::atomic<std::int64_t>::is_always_lock_free);

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe (POSIX.1-2008)
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec + 1;  // never 0
}

extern "C" void on_signal(int sig) {
  const std::int64_t now = monotonic_ns();
  std::int64_t first = 0;
  if (g_first_ns.compare_exchange_strong(first, now)) return;
  if (now - first >= kRepeatWindowNs) _exit(128 + sig);
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

bool stop_requested() { return g_first_ns.load(std::memory_order_relaxed) != 0; }

void request_stop() {
  std::int64_t none = 0;
  g_first_ns.compare_exchange_strong(none, monotonic_ns());
}

}  // namespace cctv
