// SPDX-License-Identifier: MIT
// Tests for the SIGINT/SIGTERM handlers: a repeat within 0.5 s is the same
// request (GNU timeout signals twice), a later one exits at once.
#include "cctv/signals.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <boost/test/unit_test.hpp>

namespace {

struct Outcome {
  char report = 0;    // what the child wrote after its early signals
  int status = 0;     // waitpid status
  double seconds = 0; // from fork to exit
};

// Runs `body` in a forked child with the handlers installed; the child
// writes one byte to `fd` and the parent collects it and the exit status.
template <typename Body>
Outcome in_child(Body body) {
  int fds[2];
  BOOST_REQUIRE(pipe(fds) == 0);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    cctv::install_signal_handlers();
    body(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  Outcome o;
  if (read(fds[0], &o.report, 1) != 1) o.report = 0;
  close(fds[0]);
  BOOST_REQUIRE(waitpid(pid, &o.status, 0) == pid);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signals)

BOOST_AUTO_TEST_CASE(a_signal_repeated_at_once_only_asks_to_stop) {
  const Outcome o = in_child([](int fd) {
    kill(getpid(), SIGTERM);  // what GNU timeout does: the child, then the group
    kill(getpid(), SIGTERM);
    kill(getpid(), SIGINT);
    const char c = cctv::stop_requested() ? 'y' : 'n';
    (void)!write(fd, &c, 1);
  });
  BOOST_TEST(o.report == 'y');
  BOOST_TEST(WIFEXITED(o.status));
  BOOST_TEST(WEXITSTATUS(o.status) == 0);
}

BOOST_AUTO_TEST_CASE(a_second_request_after_the_window_exits_with_128_plus_signal) {
  const Outcome o = in_child([](int fd) {
    kill(getpid(), SIGINT);
    const char c = cctv::stop_requested() ? 'y' : 'n';
    (void)!write(fd, &c, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    kill(getpid(), SIGTERM);
    _exit(1);  // not reached when the second request exits at once
  });
  BOOST_TEST(o.report == 'y');
  BOOST_TEST(WIFEXITED(o.status));
  BOOST_TEST(WEXITSTATUS(o.status) == 128 + SIGTERM);
  BOOST_TEST(o.seconds >= 0.6);
}

BOOST_AUTO_TEST_CASE(request_stop_counts_as_the_first_request) {
  const Outcome o = in_child([](int fd) {
    cctv::request_stop();
    const char c = cctv::stop_requested() ? 'y' : 'n';
    (void)!write(fd, &c, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    kill(getpid(), SIGINT);
    _exit(1);
  });
  BOOST_TEST(o.report == 'y');
  BOOST_TEST(WIFEXITED(o.status));
  BOOST_TEST(WEXITSTATUS(o.status) == 128 + SIGINT);
}

BOOST_AUTO_TEST_SUITE_END()
