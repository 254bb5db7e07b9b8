// SPDX-License-Identifier: MIT
// Helpers for integration tests: run built tools with deadlines, the RTSP camera fixture, temp dirs, sockets.
#pragma once

#include <cstdint>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cctv::test {

using namespace std::chrono_literals;

// True when the tools under test are built with ASan+UBSan (the second pass
// of scripts/test; the test binaries themselves are not instrumented).
#ifdef CCTV_TOOLS_SANITIZED
inline constexpr bool kToolsSanitized = true;
#else
inline constexpr bool kToolsSanitized = false;
#endif
// Sanitized, a decode and JPEG encode of 720p costs so much CPU that the
// rate is the machine's, not the code's: cctv-mjpeg-serve gave one viewer
// 76 of 125 frames in 5 s alone, and 24 beside two other sanitized tests and
// a compiler. So assertions on frame rates ask for this share of the rate:
// the sanitized pass checks that frames flow and are valid (and that the
// viewers of one encode get equal shares), the plain pass checks the
// figures the issues name.
inline constexpr double kRateShare = kToolsSanitized ? 0.1 : 1.0;

// Environment changes for a child: each entry sets (overrides) a variable of the
// inherited environment; an entry with an empty value removes the variable.
using EnvChanges = std::vector<std::pair<std::string, std::string>>;

// Folder of the built tools and of cctv-test-camera (${PROJECT_BINARY_DIR}/bin).
std::filesystem::path bin_dir();

// Folder of the camera fixture's clips (h264.h264, h265.hevc, mjpeg.mjpeg, pcma.alaw).
std::filesystem::path media_dir();

// Resolves argv[0] of run_tool() and Process::start(): a name with a '/' is a
// path; otherwise bin_dir()/name if it exists, else a program found on $PATH.
// Throws std::runtime_error when nothing is found.
std::filesystem::path resolve_program(const std::string& name);

struct RunResult {
  int exit_code = -1;  // the exit status, or 128 + signal number if a signal ended it
  std::string out;     // everything the child wrote to stdout
  std::string err;     // everything the child wrote to stderr
  double seconds = 0;  // wall time from start to exit (steady_clock)
  bool timed_out = false;  // the deadline passed and the child was killed (SIGKILL)
};

// Runs argv (see resolve_program() for argv[0]) to completion, feeding it
// `stdin_data` then EOF and capturing stdout and stderr whole (read
// concurrently, so large outputs cannot deadlock). When `deadline` passes the
// child is killed with SIGKILL and `timed_out` is set; run_tool() never takes
// much longer than `deadline`.
// Throws std::runtime_error when the program cannot be found or started.
// Thread safe: tests may call it from several threads at once.
RunResult run_tool(const std::vector<std::string>& argv,
                   std::chrono::milliseconds deadline = 30s, const EnvChanges& env = {},
                   const std::string& stdin_data = "");

// The resident memory of process `pid` in KiB (VmRSS), or -1 when it is gone.
long rss_kib(int pid);

// A long-running child (a server, a recorder) whose stdout is read line by
// line while it runs; stderr is captured in the background. Its stdin is a
// pipe that stays open until close_stdin() or destruction.
// Not thread safe: use one Process from one thread. The child gets SIGKILL if
// the thread that started it exits first (PR_SET_PDEATHSIG), so a crashed or
// killed test binary leaves no server behind.
class Process {
 public:
  Process();
  // Starts argv at once (see start()).
  explicit Process(const std::vector<std::string>& argv, const EnvChanges& env = {});
  // Kills the child (SIGKILL) if it still runs, and reaps it.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv (argv[0] as for run_tool()). Throws std::runtime_error when the
  // program cannot be found or started, or when a child is still running.
  void start(const std::vector<std::string>& argv, const EnvChanges& env = {});

  // Returns the next line of the child's stdout without its line ending, or
  // nullopt when none arrived within `timeout` or stdout reached EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  // Writes `data` to the child's stdin in the background (never blocks).
  void write_stdin(std::string data);
  // Closes the child's stdin after the pending writes.
  void close_stdin();

  // Sends `signal_number` (SIGTERM, SIGINT, ...) if the child still runs.
  void signal(int signal_number);

  // Waits up to `timeout` for the child to exit (and for its stderr to end,
  // so stderr_text() is then whole); returns its exit status (128 + signal
  // number if a signal ended it), or nullopt if it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  // SIGKILL if still running, then reap; returns the exit status (128 + signal).
  // No-op returning the status if it had already exited.
  int kill();

  bool running() const;
  int pid() const;
  // Everything the child wrote to stderr so far.
  std::string stderr_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct CameraOptions {
  std::string auth = "both";  // RTSP auth methods on /auth: "basic", "digest" or "both"
  std::string user = "admin";
  std::string password = "secret";
  int port = 0;  // 0: a free port chosen by the camera
};

// The wall-clock time, in milliseconds since the Unix epoch, painted into a
// decoded frame of the /clock mount (its luma plane, any size that keeps the
// 32:1 ratio of width to square), or nullopt if the frame holds no valid stamp.
std::optional<std::int64_t> read_clock_stamp(const std::uint8_t* luma, int stride, int width,
                                             int height);

// RAII over cctv-test-camera, the gst-rtsp-server fixture serving on 127.0.0.1:
//   /h264       H.264 1280x720 25 fps, GOP 50 (2 s), no B-frames
//   /h265       H.265 1280x720 25 fps, GOP 50
//   /mjpeg      MJPEG (RTP/JPEG) 640x360 25 fps
//   /h264-pcma  H.264 as /h264 plus G.711 A-law 8 kHz mono
//   /auth       as /h264, but needs the configured user and password
//   /no-keyframe  as /h264 without its IDR pictures (SPS and PPS kept)
//   /udp-only   as /h264, but a SETUP for TCP transport gets 461 Unsupported Transport;
//               each client gets a stream of its own from a keyframe (no UDP
//               port is bound before a client asks)
//   /clock-jump as /h264 in real time, but its RTP timestamps step back 5 s
//               halfway through every 20 s of the camera's life and forward 30 s
//               at the end of each, mid-GOP (a camera resyncing its clock)
//   /clock      live H.264 640x360 25 fps (x264 zerolatency, main profile, GOP 50,
//               no B-frames) whose every frame shows the wall-clock time it was
//               made (read_clock_stamp()); each client gets its own encoder,
//               started at its SETUP, so the first frame is a keyframe
// Any other path answers 404. Every other mount runs in real time from start-up,
// with or without clients: a client joins mid-GOP, as with a real camera.
class Camera {
 public:
  // Starts the camera and waits (at most 30 s) until it listens.
  // Throws std::runtime_error, with the camera's stderr, if it does not start.
  explicit Camera(CameraOptions options = {});
  // Stops the camera (see stop()).
  ~Camera();
  Camera(const Camera&) = delete;
  Camera& operator=(const Camera&) = delete;

  int port() const { return port_; }
  // "rtsp://127.0.0.1:PORT/mount" (a leading '/' in `mount` is optional).
  std::string url(std::string_view mount) const;
  // As url(), with percent-encoded credentials: "rtsp://user:password@127.0.0.1:PORT/mount".
  std::string url_with_auth(std::string_view mount, std::string_view user,
                            std::string_view password) const;

  // SIGTERM, then SIGKILL if it has not exited within 5 s. Returns the exit
  // status (0 after a clean SIGTERM), or nullopt if it was not running.
  std::optional<int> stop();
  // Starts it again on the same port (an outage ends); waits for it as the
  // constructor does. No-op if it runs. Throws std::runtime_error on failure.
  void start();
  bool running() const;
  // What the camera (the current or last run) wrote to stderr, for test diagnostics.
  std::string stderr_text() const;

 private:
  void launch(std::chrono::steady_clock::time_point deadline);

  CameraOptions options_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// Calls `done` every `every` until it returns true or `limit` has passed;
// returns its last answer. For "wait until it happens" with a deadline that
// only a failure reaches, never a fixed sleep.
template <typename Pred>
bool poll_until(std::chrono::milliseconds limit, Pred done, std::chrono::milliseconds every = 100ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(every);
  }
}

// The whole file as bytes; empty when it cannot be read.
std::string slurp(const std::filesystem::path& p);
// Writes `bytes` to `p`, replacing it. Throws std::runtime_error on failure.
void write_file(const std::filesystem::path& p, std::string_view bytes);

// True for a complete JPEG: starts with SOI (FF D8), ends with EOI (FF D9).
bool is_jpeg(std::string_view bytes);

// How many times `needle` (not empty) occurs in `text`, overlaps not counted.
std::size_t count(std::string_view text, std::string_view needle);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  // Throws std::runtime_error if the directory cannot be made.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP listener on 127.0.0.1 (a free port) that accepts every connection and
// never writes a byte: a camera that takes the connection and then says
// nothing. Connections stay open until destruction.
class SilentListener {
 public:
  // Throws std::runtime_error if it cannot listen.
  SilentListener();
  // Stops the background thread and closes every connection.
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  int port() const { return port_; }
  // Connections accepted so far.
  int accepted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// The service manager's end of sd_notify(3): a datagram socket in a fresh
// directory. Give a child env() and read what it reports (READY=1, STATUS=,
// WATCHDOG=1...). Not thread safe.
class NotifySocket {
 public:
  // Throws std::runtime_error if the socket cannot be made.
  NotifySocket();
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // NOTIFY_SOCKET=<path>, plus WATCHDOG_USEC=<usec> (and no WATCHDOG_PID)
  // when `watchdog_usec` > 0.
  EnvChanges env(long long watchdog_usec = 0) const;
  // The next datagram (one or more "KEY=value" lines), or nullopt when none
  // arrived within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // Receives until a datagram holds a line that begins with `prefix`
  // ("READY=1", "STATUS="); returns that line, or nullopt if none came within
  // `timeout`. Every datagram seen is appended to received().
  std::optional<std::string> wait_for(std::string_view prefix, std::chrono::milliseconds timeout);
  const std::vector<std::string>& received() const { return received_; }

 private:
  TempDir dir_;
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

// A port on 127.0.0.1 with nothing listening (bound once to find it, then closed).
// Throws std::runtime_error if no socket can be bound.
int closed_port();

}  // namespace cctv::test
