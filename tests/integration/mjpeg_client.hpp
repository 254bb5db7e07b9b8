// SPDX-License-Identifier: MIT
// What the cctv-mjpeg-serve integration tests share: the server under test
// on a free loopback port, and one HTTP request through curl.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

namespace cctv::test {

// A running cctv-mjpeg-serve with `args` after `--listen 127.0.0.1:0`; its
// first stdout line is the URL it serves. SIGTERM (then SIGKILL) on destruction.
class MjpegServer {
 public:
  explicit MjpegServer(std::vector<std::string> args, const EnvChanges& env = {}) {
    args.insert(args.begin(), {(bin_dir() / "cctv-mjpeg-serve").string(), "--listen", "127.0.0.1:0"});
    process.start(args, env);
    // A deadline for a process start on a loaded machine, not an expectation.
    auto line = process.read_line(std::chrono::seconds(30));
    if (!line) throw std::runtime_error("server did not start: " + process.stderr_text());
    url = *line;
  }
  ~MjpegServer() {
    process.signal(SIGTERM);
    if (!process.wait(std::chrono::seconds(10))) process.kill();
  }
  MjpegServer(const MjpegServer&) = delete;
  MjpegServer& operator=(const MjpegServer&) = delete;

  int port() const { return std::stoi(url.substr(url.rfind(':') + 1)); }
  // The URL of `path` ("/cam/stream.mjpg") on this server.
  std::string at(const std::string& path) const { return url + path.substr(1); }

  Process process;
  std::string url;  // "http://127.0.0.1:PORT/" (https:// with TLS)
};

struct Reply {
  int status = 0;       // 0 when no HTTP answer came
  std::string type;     // Content-Type
  std::string headers;  // the response header block, as received
  std::string body;
};

// One request through curl, with `extra` curl options before the URL. The
// status and content type come from curl itself.
inline Reply get(const std::string& url, const std::vector<std::string>& extra = {},
                 std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  TempDir tmp;
  std::vector<std::string> argv{"curl", "-s", "-o", (tmp.path() / "body").string(), "-D",
                                (tmp.path() / "head").string(), "-w", "%{http_code} %{content_type}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  const RunResult r = run_tool(argv, deadline);
  Reply out;
  std::istringstream in(r.out);
  in >> out.status;
  std::getline(in >> std::ws, out.type);
  out.headers = slurp(tmp.path() / "head");
  out.body = slurp(tmp.path() / "body");
  return out;
}

// One sample of the server's /metrics for `camera`, or -1.
inline double metric(const MjpegServer& server, const std::string& name, const std::string& camera) {
  const Reply r = get(server.at("/metrics"));
  std::smatch m;
  const std::regex line(name + "\\{camera=\"" + camera + "\"\\} ([0-9.e+-]+)");
  return std::regex_search(r.body, m, line) ? std::stod(m[1]) : -1;
}

// Decodes `bytes` (an init segment and fMP4 media) with FFmpeg, stopping at
// the first error (-xerror); returns the video frames decoded, or -1 (`log`
// says why).
inline int decoded_frames(const std::string& bytes, std::string& log) {
  TempDir tmp;
  write_file(tmp.path() / "s.mp4", bytes);
  const RunResult r = run_tool({"ffmpeg", "-hide_banner", "-v", "error", "-xerror", "-i", (tmp.path() / "s.mp4").string(),
                                "-map", "0:v", "-f", "framecrc", "-"},
                               std::chrono::seconds(60));
  log = r.err;
  if (r.exit_code != 0 || !r.err.empty()) return -1;
  int frames = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) frames += !line.empty() && line[0] != '#';
  return frames;
}

// A raw loopback TCP client for what curl will not do (never read, send
// garbage, hold a connection idle). Throws std::runtime_error on failure.
inline int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  return fd;
}

}  // namespace cctv::test
