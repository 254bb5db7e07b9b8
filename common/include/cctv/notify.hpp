// SPDX-License-Identifier: MIT
// systemd service notifications (Type=notify, WatchdogSec=): readiness,
// status text and watchdog pings. Every call is a no-op outside systemd
// ($NOTIFY_SOCKET unset), so tools call them unconditionally.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace cctv::notify {

// True when the service manager listens ($NOTIFY_SOCKET set).
bool enabled();

// READY=1, with an optional STATUS= line. Tools send it once their main job
// runs: a recorder once the first packet arrived, a server once it listens.
// Only the first call sends anything.
void ready(std::string_view status = {});

// STATUS=<text>: the line `systemctl status` shows (camera state and fps).
void status(std::string_view text);

// STOPPING=1, when a stop was requested and the tool is finishing its files.
void stopping();

// How often WATCHDOG=1 must be sent: half of the unit's WatchdogSec, or
// nullopt when the watchdog is off for this process.
std::optional<std::chrono::microseconds> watchdog_period();

// Sends WATCHDOG=1 when the watchdog is on and the last ping is older than
// watchdog_period(). Cheap and thread-safe: call it for every packet that
// arrives (CONVENTIONS: the watchdog is fed only while packets flow, so a
// silent camera gets its unit restarted).
void watchdog_ping();

}  // namespace cctv::notify
