// SPDX-License-Identifier: MIT
// The HTTP side: Boost.Beast on Asio, one coroutine and strand per connection.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cctv/error.hpp"
#include "hub.hpp"
#include "mjpeg_options.hpp"

namespace cctv::mjpeg {

// Serves GET /, /NAME/stream.mjpg, /NAME/snapshot.jpg, /healthz and /metrics
// for `hubs`. Each viewer has a one-frame slot and one write in flight, so a
// slow viewer skips frames and never delays the others.
// With o.auth every request but /healthz needs valid credentials (else 401
// with the challenges); with o.tls it speaks only HTTPS, the handshake within
// the request header timeout.
// Thread safety: listen() then run() from one thread; the hubs may be fed
// from any thread meanwhile.
class Server {
 public:
  Server(const Options& o, std::vector<std::shared_ptr<Hub>> hubs);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on o.address. Returns the URL served
  // ("http://127.0.0.1:8080/", https:// with o.tls, with the real port when 0
  // was asked).
  // Errors: kUsage when the address is no IP address, kFailure when it
  // cannot be bound (in use, permission).
  [[nodiscard]] Result<std::string> listen();

  // Serves until stop_requested() (signals.hpp): then stops accepting, closes
  // every connection and returns.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cctv::mjpeg
