// SPDX-License-Identifier: MIT
// Slows down password guessing: per client address, failed logins make its next checks wait longer.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

namespace cctv::mjpeg {

// A client as the throttle counts it: an IPv4 address (as ::ffff:a.b.c.d), or
// an IPv6 /64 with the rest zeroed, since one host commonly holds a whole /64.
using ClientKey = std::array<std::uint8_t, 16>;

ClientKey client_key(const std::array<std::uint8_t, 4>& v4);
// An IPv4-mapped address counts as that IPv4 address (a dual-stack listener
// sees IPv4 clients so).
ClientKey client_key(const std::array<std::uint8_t, 16>& v6);

// The login checks of each client take turns, further apart with each
// consecutive failure: after n failures its next check waits delay_after(n)
// (100 ms doubling to 5 s). Parallel connections of one client wait for turns
// one after the other, so they do not multiply its guesses. A success, or
// kForget without a failure, forgets the client. Only clients with a failure
// are kept, at most kCapacity of them: a new one replaces the one whose last
// failure is oldest, so that no number of addresses grows the table.
// Time is passed in, for tests. Thread safe.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = Clock::duration;

  static constexpr std::size_t kCapacity = 4096;
  static constexpr Duration kFirstDelay = std::chrono::milliseconds(100);
  static constexpr Duration kMaxDelay = std::chrono::seconds(5);
  static constexpr Duration kForget = std::chrono::minutes(10);

  // The wait after `failures` consecutive failures: zero for none, then
  // kFirstDelay doubling up to kMaxDelay.
  static Duration delay_after(int failures);

  // Asks whether `client` may have a login checked at `now`. nullopt: yes,
  // and its turn is taken (its next check, by any connection, waits one more
  // delay). Otherwise the time of its next turn: ask again then.
  std::optional<Clock::time_point> claim(const ClientKey& client, Clock::time_point now);

  // A checked login of `client` failed at `now`. True when this begins its
  // throttling (no failure since a success, kForget, or its eviction): the
  // moment to log it, once.
  bool failed(const ClientKey& client, Clock::time_point now);

  // A checked login of `client` passed: it is forgotten.
  void succeeded(const ClientKey& client);

  // Clients remembered now (at most kCapacity).
  std::size_t size() const;

 private:
  struct Entry {
    int failures = 0;                  // consecutive, since it was added
    Clock::time_point next_turn{};     // no check before this
    Clock::time_point last_failure{};  // for kForget and eviction
  };
  using Table = std::map<ClientKey, Entry>;  // ordered: no hash for an attacker to flood

  // The live entry of `client`, or end() (an entry older than kForget is dropped).
  Table::iterator find(const ClientKey& client, Clock::time_point now);

  mutable std::mutex mu_;
  Table table_;
};

}  // namespace cctv::mjpeg
