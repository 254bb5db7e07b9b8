// SPDX-License-Identifier: MIT
// Error values, the exit-code table shared by every tool, and the Result aliases.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace cctv {

// The exit status of every tool (CONVENTIONS "Exit status"). Scripts branch on
// these, so the numbers never change.
enum class ExitCode : int {
  kOk = 0,
  kFailure = 1,      // runtime failure not covered below
  kUsage = 2,        // bad option, bad URL syntax
  kUnreachable = 3,  // refused, no route, DNS, timeout
  kAuth = 4,         // RTSP/HTTP 401/403
  kNotFound = 5,     // 404, or no video stream
  kUnsupported = 6,  // codec or format not supported for the operation
  kOutput = 7,       // disk full, permission, broken pipe
};

struct ExitCodeInfo {
  ExitCode code;
  std::string_view meaning;
};

// The whole table, in numeric order; man pages are generated from it.
inline constexpr ExitCodeInfo kExitCodes[] = {
    {ExitCode::kOk, "success"},
    {ExitCode::kFailure, "runtime failure not covered below"},
    {ExitCode::kUsage, "usage error: bad option, bad URL syntax"},
    {ExitCode::kUnreachable, "camera unreachable: refused, no route, DNS, timeout"},
    {ExitCode::kAuth, "authentication failed (RTSP/HTTP 401/403)"},
    {ExitCode::kNotFound, "stream not found (404) or no video stream in it"},
    {ExitCode::kUnsupported, "unsupported codec or format for the requested operation"},
    {ExitCode::kOutput, "output failed: disk full, permission, broken pipe"},
};

inline int to_int(ExitCode c) { return static_cast<int>(c); }

// A failure: the exit code it maps to, a one-line message (credentials already
// redacted), and the underlying cause (av_strerror text, strerror, ...), which
// may be empty.
struct Error {
  ExitCode code = ExitCode::kFailure;
  std::string message;
  std::string cause;
  bool timeout = false;  // a deadline expired (code is kUnreachable)

  // "message: cause", or just the message when there is no cause.
  [[nodiscard]] std::string what() const {
    return cause.empty() ? message : message + ": " + cause;
  }
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

// Builds the unexpected value of a Result/Status.
inline tl::unexpected<Error> fail(ExitCode code, std::string message, std::string cause = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(cause)});
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

// A worse exit status wins when several results are combined (probe of many
// URLs): any failure beats success; among failures the higher code wins.
inline ExitCode worst(ExitCode a, ExitCode b) { return to_int(a) >= to_int(b) ? a : b; }

}  // namespace cctv
