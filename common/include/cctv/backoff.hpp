// SPDX-License-Identifier: MIT
// Reconnect pacing (exponential backoff with jitter) and stall detection.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "cctv/log.hpp"

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

// What to log about a camera's outages, so that a camera down for a weekend
// does not fill the journal: the first failure and each change of reason
// are warnings, repeats are debug lines with a warning reminder every
// `remind`, and the end of the outage is one notice with its length.
// Not thread-safe; one per camera.
class OutageLog {
 public:
  struct Line {
    LogLevel level;
    std::string text;
  };
  explicit OutageLog(std::chrono::milliseconds remind = std::chrono::minutes(5)) : remind_(remind) {}

  // A lost connection or a failed attempt at `now` (`reason`: the error's
  // text); the next attempt comes `retry_in` later. Opens an outage if none is.
  Line failed(Clock::time_point now, const std::string& reason, std::chrono::milliseconds retry_in);
  // The camera works again at `now`: "back after 5.3 s", or nullopt when no
  // outage was open. Closes the outage.
  std::optional<std::string> recovered(Clock::time_point now);
  // Forgets an open outage without a word (nobody waits for the camera).
  void forget() { since_.reset(); }
  bool down() const { return since_.has_value(); }

 private:
  std::chrono::milliseconds remind_;
  std::optional<Clock::time_point> since_;  // the outage's first failure
  Clock::time_point warned_at_;             // its last warning
  std::string reason_;                      // of its last failure
  int attempts_ = 0;                        // failures in this outage
};

// "5.3 s", "4 min 12 s", "3 h 7 min": a length for log lines.
std::string format_duration(Clock::duration d);

}  // namespace cctv
