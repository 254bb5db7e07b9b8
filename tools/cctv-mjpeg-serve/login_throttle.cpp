// SPDX-License-Identifier: MIT
// The per-client login throttle: turns, doubling delays, a bounded table.
#include "login_throttle.hpp"

#include <algorithm>

namespace cctv::mjpeg {

namespace {

// Failures past this add nothing (the delay is long capped): no overflow.
constexpr int kMaxCounted = 64;

}  // namespace

ClientKey client_key(const std::array<std::uint8_t, 4>& v4) {
  ClientKey k{};
  k[10] = 0xff;
  k[11] = 0xff;
  std::copy(v4.begin(), v4.end(), k.begin() + 12);
  return k;
}

ClientKey client_key(const std::array<std::uint8_t, 16>& v6) {
  constexpr std::array<std::uint8_t, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), v6.begin())) return v6;
  ClientKey k{};
  std::copy(v6.begin(), v6.begin() + 8, k.begin());
  return k;
}

LoginThrottle::Duration LoginThrottle::delay_after(int failures) {
  if (failures <= 0) return Duration::zero();
  Duration d = kFirstDelay;
  for (int i = 1; i < failures && d < kMaxDelay; ++i) d *= 2;  // at most log2(kMaxDelay / kFirstDelay) turns
  return std::min(d, kMaxDelay);
}

LoginThrottle::Table::iterator LoginThrottle::find(const ClientKey& client, Clock::time_point now) {
  auto it = table_.find(client);
  if (it != table_.end() && now - it->second.last_failure >= kForget) {
    table_.erase(it);
    return table_.end();
  }
  return it;
}

std::optional<LoginThrottle::Clock::time_point> LoginThrottle::claim(const ClientKey& client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  const auto it = find(client, now);
  if (it == table_.end()) return std::nullopt;
  Entry& e = it->second;
  if (now < e.next_turn) return e.next_turn;
  e.next_turn = now + delay_after(e.failures);
  return std::nullopt;
}

bool LoginThrottle::failed(const ClientKey& client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (auto it = find(client, now); it != table_.end()) {
    Entry& e = it->second;
    e.failures = std::min(e.failures + 1, kMaxCounted);
    e.next_turn = std::max(e.next_turn, now + delay_after(e.failures));
    e.last_failure = now;
    return false;
  }
  if (table_.size() >= kCapacity) {  // one linear pass per new client once full: 4096 entries, microseconds
    const auto oldest = std::min_element(table_.begin(), table_.end(), [](const auto& a, const auto& b) {
      return a.second.last_failure < b.second.last_failure;
    });
    table_.erase(oldest);
  }
  table_.emplace(client, Entry{1, now + delay_after(1), now});
  return true;
}

void LoginThrottle::succeeded(const ClientKey& client) {
  std::lock_guard lock(mu_);
  table_.erase(client);
}

std::size_t LoginThrottle::size() const {
  std::lock_guard lock(mu_);
  return table_.size();
}

}  // namespace cctv::mjpeg
