// SPDX-License-Identifier: MIT
// Camera: starts, stops and restarts the cctv-test-camera fixture for a test.
#include "support.hpp"

#include <csignal>
#include <stdexcept>
#include <thread>

namespace cctv::test {
namespace {

// Deadlines for a loaded machine (three tests at once on two cores, sanitized).
constexpr auto kStartTimeout = 30s;
constexpr auto kStopTimeout = 5s;
constexpr std::string_view kReadyPrefix = "READY port=";

// Percent-encodes everything but RFC 3986 "unreserved" characters, for userinfo.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                            (u >= '0' && u <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}

std::string_view without_slash(std::string_view mount) {
  return (!mount.empty() && mount.front() == '/') ? mount.substr(1) : mount;
}

}  // namespace

Camera::Camera(CameraOptions options) : options_(std::move(options)), port_(options_.port) {
  launch(std::chrono::steady_clock::now() + kStartTimeout);
}

Camera::~Camera() { stop(); }

std::string Camera::url(std::string_view mount) const {
  return "rtsp://127.0.0.1:" + std::to_string(port_) + "/" + std::string(without_slash(mount));
}

std::string Camera::url_with_auth(std::string_view mount, std::string_view user,
                                  std::string_view password) const {
  return "rtsp://" + percent_encode(user) + ":" + percent_encode(password) + "@127.0.0.1:" +
         std::to_string(port_) + "/" + std::string(without_slash(mount));
}

std::optional<int> Camera::stop() {
  if (!process_ || !process_->running()) return std::nullopt;
  process_->signal(SIGTERM);
  if (auto status = process_->wait(kStopTimeout)) return status;
  return process_->kill();
}

void Camera::start() {
  if (running()) return;
  launch(std::chrono::steady_clock::now() + kStartTimeout);
}

bool Camera::running() const { return process_ && process_->running(); }

std::string Camera::stderr_text() const { return process_ ? process_->stderr_text() : std::string(); }

// Starts the camera and reads its READY line. On a fixed port (a restart) a
// failed bind is retried until `deadline`, in case the old socket lingers.
void Camera::launch(std::chrono::steady_clock::time_point deadline) {
  const std::vector<std::string> argv = {
      "cctv-test-camera", "--media-dir", media_dir().string(),  "--port",
      std::to_string(port_), "--auth",   options_.auth,          "--user",
      options_.user,      "--password",  options_.password};
  std::string failure;
  // Each attempt ends by the deadline: read_line() and wait() are bounded by it.
  while (std::chrono::steady_clock::now() < deadline) {
    process_ = std::make_unique<Process>(argv);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) break;
      const auto line = process_->read_line(left);
      if (!line) break;  // EOF (it exited) or the deadline passed
      if (line->rfind(kReadyPrefix, 0) == 0) {
        port_ = std::stoi(line->substr(kReadyPrefix.size()));
        return;
      }
    }
    const auto status = process_->wait(100ms);
    failure = "cctv-test-camera " +
              (status ? "exited with status " + std::to_string(*status)
                      : std::string("did not print READY in time")) +
              ": " + process_->stderr_text();
    process_->kill();
    if (!status || port_ == 0) break;  // only a fixed port is worth another try
    std::this_thread::sleep_for(200ms);
  }
  process_.reset();
  throw std::runtime_error(failure.empty() ? "cctv-test-camera did not start" : failure);
}

}  // namespace cctv::test
