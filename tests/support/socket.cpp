// SPDX-License-Identifier: MIT
// Sockets for tests: a listener that never answers, a port where nobody listens,
// and the service manager's end of sd_notify.
#include "support.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace cctv::test {
namespace {

constexpr int kPollMillis = 50;       // how quickly the listener notices it must stop
constexpr std::size_t kMaxHeld = 1024;  // connections kept open; later ones are closed at once

// A TCP socket bound to 127.0.0.1:0; throws on failure.
int bound_loopback_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(error));
  }
  return fd;
}

int local_port(int fd) {
  sockaddr_in addr{};
  socklen_t length = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    throw std::runtime_error(std::string("getsockname: ") + std::strerror(errno));
  }
  return ntohs(addr.sin_port);
}

}  // namespace

struct SilentListener::Impl {
  int listen_fd = -1;
  std::atomic<bool> stop{false};
  std::atomic<int> accepted{0};
  // Both touched by the thread only, then by the destructor after join().
  std::vector<int> open;       // connections polled for (and dropped) client bytes
  std::vector<int> peer_gone;  // connections the client closed: no longer polled
  std::thread thread;

  // Accepts until told to stop; reads and drops what clients send, writes nothing.
  // Each pass is bounded by kPollMillis; the loop ends when the destructor says so.
  void run() {
    while (!stop.load()) {
      std::vector<pollfd> fds;
      fds.push_back({listen_fd, POLLIN, 0});
      for (const int fd : open) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), kPollMillis) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) accept_one();
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        char sink[4096];
        const ssize_t n = ::recv(fds[i].fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          std::erase(open, fds[i].fd);
          peer_gone.push_back(fds[i].fd);
        }
      }
    }
  }

  void accept_one() {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    accepted.fetch_add(1);
    if (open.size() + peer_gone.size() >= kMaxHeld) {
      ::close(fd);
      return;
    }
    open.push_back(fd);
  }
};

SilentListener::SilentListener() : impl_(std::make_unique<Impl>()) {
  impl_->listen_fd = bound_loopback_socket();
  if (::listen(impl_->listen_fd, 128) != 0) {
    const int error = errno;
    ::close(impl_->listen_fd);
    throw std::runtime_error(std::string("listen: ") + std::strerror(error));
  }
  port_ = local_port(impl_->listen_fd);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

SilentListener::~SilentListener() {
  impl_->stop.store(true);
  impl_->thread.join();
  for (const int fd : impl_->open) ::close(fd);
  for (const int fd : impl_->peer_gone) ::close(fd);
  ::close(impl_->listen_fd);
}

int SilentListener::accepted() const { return impl_->accepted.load(); }

int closed_port() {
  const int fd = bound_loopback_socket();
  int port = 0;
  try {
    port = local_port(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return port;
}

NotifySocket::NotifySocket() : path_((dir_.path() / "notify").string()) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket(AF_UNIX): ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) throw std::runtime_error("notify socket path too long: " + path_);
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::runtime_error("bind " + path_ + ": " + std::strerror(error));
  }
}

NotifySocket::~NotifySocket() { ::close(fd_); }

EnvChanges NotifySocket::env(long long watchdog_usec) const {
  EnvChanges out{{"NOTIFY_SOCKET", path_}, {"WATCHDOG_PID", ""}};
  out.emplace_back("WATCHDOG_USEC", watchdog_usec > 0 ? std::to_string(watchdog_usec) : "");
  return out;
}

std::optional<std::string> NotifySocket::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  std::vector<char> buf(4096);
  const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n <= 0) return std::nullopt;
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::optional<std::string> NotifySocket::wait_for(std::string_view prefix, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {  // bounded by `until`
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto msg = receive(left);
    if (!msg) return std::nullopt;
    received_.push_back(*msg);
    std::size_t start = 0;
    while (start < msg->size()) {
      const std::size_t end = std::min(msg->find('\n', start), msg->size());
      const std::string_view line = std::string_view(*msg).substr(start, end - start);
      if (line.substr(0, prefix.size()) == prefix) return std::string(line);
      start = end + 1;
    }
  }
}

}  // namespace cctv::test
