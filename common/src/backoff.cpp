// SPDX-License-Identifier: MIT
// Exponential reconnect backoff with jitter, the stall timer, and the outage log.
#include "cctv/backoff.hpp"

#include <algorithm>

#include <fmt/format.h>

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

OutageLog::Line OutageLog::failed(Clock::time_point now, const std::string& reason,
                                  std::chrono::milliseconds retry_in) {
  const std::string retry = fmt::format("retrying in {:.1f} s", static_cast<double>(retry_in.count()) / 1000.0);
  const bool opens = !since_;
  if (opens) {
    since_ = now;
    attempts_ = 0;
  }
  ++attempts_;
  if (opens || reason != reason_) {
    reason_ = reason;
    warned_at_ = now;
    return {LogLevel::kWarning, fmt::format("{}; {}", reason, retry)};
  }
  if (now - warned_at_ >= remind_) {
    warned_at_ = now;
    return {LogLevel::kWarning,
            fmt::format("{}; down for {}, {} failures; {}", reason, format_duration(now - *since_), attempts_, retry)};
  }
  return {LogLevel::kDebug, fmt::format("{}; {} (failure {})", reason, retry, attempts_)};
}

std::optional<std::string> OutageLog::recovered(Clock::time_point now) {
  if (!since_) return std::nullopt;
  const std::string text = "back after " + format_duration(now - *since_);
  since_.reset();
  return text;
}

std::string format_duration(Clock::duration d) {
  using namespace std::chrono;
  const double s = duration<double>(std::max(d, Clock::duration::zero())).count();
  if (s < 59.95) return fmt::format("{:.1f} s", s);
  const auto whole = static_cast<long long>(s + 0.5);
  if (whole < 3600) return fmt::format("{} min {} s", whole / 60, whole % 60);
  return fmt::format("{} h {} min", whole / 3600, whole % 3600 / 60);
}

}  // namespace cctv
