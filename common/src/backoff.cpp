// SPDX-License-Identifier: MIT
// Exponential reconnect backoff with jitter, and the stall timer.
#include "cctv/backoff.hpp"

#include <algorithm>

namespace cctv {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed)
    : policy_(policy), rng_(seed), nominal_(policy.initial) {}

void Backoff::connected(Clock::time_point now) { connected_at_ = now; }

std::optional<std::chrono::milliseconds> Backoff::next_delay(Clock::time_point now) {
  // A connection that stayed healthy long enough forgives earlier failures.
  if (connected_at_ && now - *connected_at_ >= policy_.healthy_reset) {
    nominal_ = policy_.initial;
    failures_ = 0;
  }
  connected_at_.reset();
  if (policy_.max_retries >= 0 && failures_ >= policy_.max_retries) return std::nullopt;
  ++failures_;
  const auto base = nominal_;
  nominal_ = std::min(policy_.max, nominal_ * 2);
  std::uniform_real_distribution<double> dist(1.0 - policy_.jitter, 1.0 + policy_.jitter);
  const auto jittered = std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(static_cast<double>(base.count()) * dist(rng_)));
  return std::max(std::chrono::milliseconds(1), jittered);
}

std::chrono::milliseconds StallWatch::remaining(Clock::time_point now) const {
  if (!last_) return limit_;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*last_ + limit_ - now);
  return std::max(std::chrono::milliseconds(0), left);
}

}  // namespace cctv
