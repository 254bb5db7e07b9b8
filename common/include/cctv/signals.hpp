// SPDX-License-Identifier: MIT
// SIGINT/SIGTERM handling shared by every tool: first signal asks to finish, a later one exits.
#pragma once

namespace cctv {

// Installs handlers for SIGINT and SIGTERM and ignores SIGPIPE (writes then
// fail with EPIPE, which tools map to exit 0 or 7). The first signal sets the
// stop flag; one that comes 0.5 s or more later exits at once with status
// 128+signal. Repeats within 0.5 s are the same request: GNU timeout sends
// its signal to the child and then to the process group. Idempotent.
void install_signal_handlers();

// True once SIGINT or SIGTERM arrived. Async-signal-safe, lock-free.
bool stop_requested();

// For tests and for tools that stop themselves: sets the stop flag.
void request_stop();

}  // namespace cctv
