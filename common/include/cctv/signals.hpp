// SPDX-License-Identifier: MIT
// SIGINT/SIGTERM handling shared by every tool: first signal asks to finish, second exits.
#pragma once

namespace cctv {

// Installs handlers for SIGINT and SIGTERM and ignores SIGPIPE (writes then
// fail with EPIPE, which tools map to exit 0 or 7). The first signal sets the
// stop flag; a second one exits at once with status 128+signal. Idempotent.
void install_signal_handlers();

// True once SIGINT or SIGTERM arrived. Async-signal-safe, lock-free.
bool stop_requested();

// For tests and for tools that stop themselves: sets the stop flag.
void request_stop();

}  // namespace cctv
