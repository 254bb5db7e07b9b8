// SPDX-License-Identifier: MIT
// Reconnect pacing (exponential backoff with jitter) and stall detection.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace cctv {

using Clock = std::chrono::steady_clock;

struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};
  double jitter = 0.2;                       // +-20% of the nominal delay
  std::chrono::milliseconds healthy_reset{60'000};  // a stream this healthy resets the delay
  int max_retries = -1;                      // -1: forever (--retries N bounds it)
};

// Delays between reconnect attempts: 0.5 s doubling to 30 s, each jittered,
// back to 0.5 s once a connection has stayed healthy for a minute.
// Not thread-safe; one per camera.
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {}, std::uint64_t seed = std::random_device{}());

  // The delay before the next attempt after a failure or disconnect at `now`.
  // Returns nullopt when max_retries is exhausted.
  std::optional<std::chrono::milliseconds> next_delay(Clock::time_point now);

  // Marks a successful connection at `now`; if it then lasts healthy_reset
  // (judged at the next failure), the delay starts again from `initial`.
  void connected(Clock::time_point now);

  int failures() const { return failures_; }
  // The un-jittered delay that the next failure would use (for tests and logs).
  std::chrono::milliseconds nominal() const { return nominal_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  std::chrono::milliseconds nominal_;
  int failures_ = 0;
  std::optional<Clock::time_point> connected_at_;
};

// "No packet for --stall-timeout counts as a disconnect".
class StallWatch {
 public:
  explicit StallWatch(std::chrono::milliseconds limit) : limit_(limit) {}
  void packet(Clock::time_point now) { last_ = now; }
  bool stalled(Clock::time_point now) const { return last_ && now - *last_ > limit_; }
  // Time left before the stall fires (for poll timeouts); limit_ before any packet.
  std::chrono::milliseconds remaining(Clock::time_point now) const;

 private:
  std::chrono::milliseconds limit_;
  std::optional<Clock::time_point> last_;
};

}  // namespace cctv
