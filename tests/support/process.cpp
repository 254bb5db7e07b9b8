// SPDX-License-Identifier: MIT
// run_tool() and Process on Boost.Process v2; the only file that includes Boost.Process (slow to compile).
#include "support.hpp"

#include <array>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// Boost.Process v2 built on std::filesystem needs these two first (Boost 1.81).
// Its header-only mode lacks process_environment::on_setup in 1.81, so its
// sources are compiled into this file instead (src.hpp below).
#define BOOST_PROCESS_V2_SEPARATE_COMPILATION 1
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2.hpp>
#include <boost/process/v2/src.hpp>

extern char** environ;

namespace cctv::test {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;

// Writing to a child that has closed its stdin must be an error (EPIPE), not
// the death of the test binary; children get the default action back (below).
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

// Runs in the child between fork and exec.
struct ChildSetup {
  pid_t parent = ::getpid();

  boost::system::error_code on_exec_setup(bp::posix::default_launcher&,
                                          const std::filesystem::path&, const char* const*) {
    // The test binary ignores SIGPIPE and may block signals; the tool must not inherit that.
    std::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Dies with the thread that started it: no server outlives a killed test.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    return {};
  }
};

// The inherited environment with `changes` applied, as "NAME=value" strings.
std::vector<std::string> child_environment(const EnvChanges& changes) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    vars[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  }
  for (const auto& [name, value] : changes) {
    if (value.empty()) {
      vars.erase(name);
    } else {
      vars[name] = value;
    }
  }
  std::vector<std::string> result;
  result.reserve(vars.size());
  for (const auto& [name, value] : vars) result.push_back(name + "=" + value);
  return result;
}

// 128 + signal for a child ended by a signal, as shells report it.
int decode_status(int native_status) {
  if (WIFEXITED(native_status)) return WEXITSTATUS(native_status);
  if (WIFSIGNALED(native_status)) return 128 + WTERMSIG(native_status);
  return native_status;
}

std::string describe(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

template <typename... Stdio>
bp::process launch(asio::io_context& ctx, const std::vector<std::string>& argv,
                   const EnvChanges& env, Stdio&&... stdio_args) {
  if (argv.empty()) throw std::runtime_error("cannot start a process: empty argv");
  ignore_sigpipe_once();
  const std::filesystem::path program = resolve_program(argv[0]);
  const std::vector<std::string> args(argv.begin() + 1, argv.end());
  const std::vector<std::string> environment = child_environment(env);
  bp::process proc(ctx, program, args, bp::process_stdio{stdio_args...},
                   bp::process_environment(environment), ChildSetup{});
  return proc;
}

// Appends everything readable from `pipe` to `sink` until EOF or error, then calls `done`.
template <typename Sink, typename Done>
void drain(asio::readable_pipe& pipe, std::shared_ptr<std::array<char, kReadChunk>> buffer,
           Sink sink, Done done) {
  pipe.async_read_some(asio::buffer(*buffer),
                       [&pipe, buffer, sink, done](boost::system::error_code ec, std::size_t n) {
                         if (n > 0) sink(std::string_view(buffer->data(), n));
                         if (ec) {
                           done();
                           return;
                         }
                         drain(pipe, buffer, sink, done);
                       });
}

}  // namespace

std::filesystem::path resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const std::filesystem::path built = bin_dir() / name;
  if (::access(built.c_str(), X_OK) == 0) return built;
  const std::filesystem::path found = bp::environment::find_executable(name);
  if (found.empty()) {
    throw std::runtime_error("cannot find program '" + name + "' in " + bin_dir().string() +
                             " or on $PATH");
  }
  return found;
}

RunResult run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds deadline,
                   const EnvChanges& env, const std::string& stdin_data) {
  asio::io_context ctx;
  asio::readable_pipe out_pipe(ctx);
  asio::readable_pipe err_pipe(ctx);
  asio::writable_pipe in_pipe(ctx);
  RunResult result;
  const auto started = Clock::now();
  bp::process proc = launch(ctx, argv, env, in_pipe, out_pipe, err_pipe);

  int open_ends = 3;  // stdout EOF, stderr EOF, exit
  asio::steady_timer timer(ctx, deadline);
  auto one_done = [&] {
    if (--open_ends == 0) timer.cancel();
  };
  auto out_buffer = std::make_shared<std::array<char, kReadChunk>>();
  auto err_buffer = std::make_shared<std::array<char, kReadChunk>>();
  drain(out_pipe, out_buffer, [&](std::string_view s) { result.out += s; }, one_done);
  drain(err_pipe, err_buffer, [&](std::string_view s) { result.err += s; }, one_done);
  proc.async_wait([&](boost::system::error_code, int) {
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    one_done();
  });
  if (stdin_data.empty()) {
    in_pipe.close();
  } else {
    asio::async_write(in_pipe, asio::buffer(stdin_data),
                      [&](boost::system::error_code, std::size_t) { in_pipe.close(); });
  }
  timer.async_wait([&](boost::system::error_code ec) {
    if (ec) return;  // cancelled: everything finished in time
    result.timed_out = true;
    boost::system::error_code ignored;
    proc.terminate(ignored);  // SIGKILL
    // A grandchild may still hold the pipes: stop reading them.
    out_pipe.close(ignored);
    err_pipe.close(ignored);
    in_pipe.close(ignored);
  });
  ctx.run();
  result.exit_code = decode_status(proc.native_exit_code());
  // Reaped: forget the pid so that no later waitpid() or kill() can reach a reused pid.
  proc.detach();
  if (result.seconds == 0) {
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  }
  return result;
}

struct Process::Impl {
  asio::io_context ctx;
  asio::readable_pipe out_pipe{ctx};
  asio::readable_pipe err_pipe{ctx};
  asio::writable_pipe in_pipe{ctx};
  std::optional<bp::process> proc;
  std::thread io_thread;
  pid_t pid = -1;

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::string> lines;
  std::string partial_line;
  std::string err_text;
  bool out_eof = false;
  bool err_eof = false;
  std::optional<int> exit_status;

  // Called on the io thread.
  void on_stdout(std::string_view data) {
    std::lock_guard lock(mutex);
    partial_line += data;
    std::size_t start = 0;
    for (auto nl = partial_line.find('\n'); nl != std::string::npos;
         nl = partial_line.find('\n', start)) {
      std::string line = partial_line.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
      start = nl + 1;
    }
    partial_line.erase(0, start);
    changed.notify_all();
  }

  void on_stdout_eof() {
    std::lock_guard lock(mutex);
    if (!partial_line.empty()) lines.push_back(std::exchange(partial_line, {}));
    out_eof = true;
    changed.notify_all();
  }

  void on_exit() {
    std::lock_guard lock(mutex);
    exit_status = decode_status(proc->native_exit_code());
    // Reaped: forget the pid so that no later waitpid() or kill() can reach a reused pid.
    proc->detach();
    changed.notify_all();
  }

  // stdin writes, on the io thread only: one in flight, the rest queued in order.
  std::deque<std::string> stdin_queue;
  bool stdin_writing = false;
  bool stdin_close_requested = false;

  void write_next_stdin() {
    if (stdin_writing) return;
    if (stdin_queue.empty()) {
      if (stdin_close_requested) {
        boost::system::error_code ignored;
        in_pipe.close(ignored);
      }
      return;
    }
    if (!in_pipe.is_open()) {
      stdin_queue.clear();
      return;
    }
    stdin_writing = true;
    asio::async_write(in_pipe, asio::buffer(stdin_queue.front()),
                      [this](boost::system::error_code ec, std::size_t) {
                        stdin_writing = false;
                        stdin_queue.pop_front();
                        if (ec) stdin_queue.clear();  // the child closed its stdin
                        write_next_stdin();
                      });
  }

  // Ends the io thread: closes the pipes on it, then joins.
  void stop_io() {
    if (!io_thread.joinable()) return;
    asio::post(ctx, [this] {
      boost::system::error_code ignored;
      out_pipe.close(ignored);
      err_pipe.close(ignored);
      in_pipe.close(ignored);
    });
    io_thread.join();
  }
};

Process::Process() : impl_(std::make_unique<Impl>()) {}

Process::Process(const std::vector<std::string>& argv, const EnvChanges& env) : Process() {
  start(argv, env);
}

Process::~Process() {
  if (impl_->proc) kill();
  impl_->stop_io();
}

void Process::start(const std::vector<std::string>& argv, const EnvChanges& env) {
  if (running()) throw std::runtime_error("Process::start: a child is still running");
  // A finished child leaves an io thread and closed pipes: start over.
  impl_->stop_io();
  impl_ = std::make_unique<Impl>();
  Impl& impl = *impl_;
  try {
    impl.proc.emplace(launch(impl.ctx, argv, env, impl.in_pipe, impl.out_pipe, impl.err_pipe));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot start '" + describe(argv) + "': " + e.what());
  }
  impl.pid = impl.proc->id();
  auto out_buffer = std::make_shared<std::array<char, kReadChunk>>();
  auto err_buffer = std::make_shared<std::array<char, kReadChunk>>();
  drain(impl.out_pipe, out_buffer, [&impl](std::string_view s) { impl.on_stdout(s); },
        [&impl] { impl.on_stdout_eof(); });
  drain(
      impl.err_pipe, err_buffer,
      [&impl](std::string_view s) {
        std::lock_guard lock(impl.mutex);
        impl.err_text += s;
      },
      [&impl] {
        std::lock_guard lock(impl.mutex);
        impl.err_eof = true;
        impl.changed.notify_all();
      });
  impl.proc->async_wait([&impl](boost::system::error_code, int) { impl.on_exit(); });
  // The io thread ends by itself once the child has exited and both pipes are closed.
  impl.io_thread = std::thread([&impl] { impl.ctx.run(); });
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait_for(lock, timeout,
                          [this] { return !impl_->lines.empty() || impl_->out_eof; });
  if (impl_->lines.empty()) return std::nullopt;
  std::string line = std::move(impl_->lines.front());
  impl_->lines.pop_front();
  return line;
}

void Process::write_stdin(std::string data) {
  if (!impl_->proc) return;
  Impl* impl = impl_.get();
  asio::post(impl->ctx, [impl, data = std::move(data)]() mutable {
    impl->stdin_queue.push_back(std::move(data));
    impl->write_next_stdin();
  });
}

void Process::close_stdin() {
  if (!impl_->proc) return;
  Impl* impl = impl_.get();
  asio::post(impl->ctx, [impl] {
    impl->stdin_close_requested = true;
    impl->write_next_stdin();
  });
}

void Process::signal(int signal_number) {
  if (running()) ::kill(impl_->pid, signal_number);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (!impl_->proc) return std::nullopt;
  std::unique_lock lock(impl_->mutex);
  // The exit can be seen before the last stderr bytes are read: wait for
  // both, so stderr_text() is whole once wait() has returned a status.
  impl_->changed.wait_for(lock, timeout, [this] { return impl_->exit_status.has_value() && impl_->err_eof; });
  return impl_->exit_status;
}

int Process::kill() {
  if (!impl_->proc) return -1;
  if (running()) ::kill(impl_->pid, SIGKILL);
  // SIGKILL cannot be ignored; the bound only guards against a stuck kernel.
  const auto status = wait(10s);
  return status.value_or(-1);
}

bool Process::running() const {
  if (!impl_->proc) return false;
  std::lock_guard lock(impl_->mutex);
  return !impl_->exit_status.has_value();
}

int Process::pid() const { return impl_->pid; }

std::string Process::stderr_text() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->err_text;
}

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace cctv::test
