// SPDX-License-Identifier: MIT
#include "cctv/notify.hpp"

#include <atomic>
#include <cstdlib>
#include <string>

#include <systemd/sd-daemon.h>

#include "cctv/log.hpp"

namespace cctv::notify {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_ready{false};
std::atomic<Clock::rep> g_last_ping{0};

void send(const std::string& state) {
  // unset_environment=0: $NOTIFY_SOCKET stays set for the next call.
  if (int r = sd_notify(0, state.c_str()); r < 0) {
    log_debug("sd_notify failed: {}", r);
  }
}

}  // namespace

bool enabled() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && *socket != '\0';
}

void ready(std::string_view status_text) {
  if (!enabled() || g_ready.exchange(true)) return;
  std::string state = "READY=1";
  if (!status_text.empty()) {
    state += "\nSTATUS=";
    state += status_text;
  }
  send(state);
}

void status(std::string_view text) {
  if (!enabled()) return;
  send("STATUS=" + std::string(text));
}

void stopping() {
  if (!enabled()) return;
  send("STOPPING=1");
}

std::optional<std::chrono::microseconds> watchdog_period() {
  static const std::optional<std::chrono::microseconds> period =
      []() -> std::optional<std::chrono::microseconds> {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec / 2);
  }();
  return period;
}

void watchdog_ping() {
  const auto period = watchdog_period();
  if (!period) return;
  const auto now = Clock::now().time_since_epoch().count();
  auto last = g_last_ping.load(std::memory_order_relaxed);
  const auto due = std::chrono::duration_cast<Clock::duration>(*period).count();
  if (last != 0 && now - last < due) return;
  if (!g_last_ping.compare_exchange_strong(last, now)) return;  // another thread pings
  send("WATCHDOG=1");
}

}  // namespace cctv::notify
