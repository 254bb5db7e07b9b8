// SPDX-License-Identifier: MIT
// Source URLs: validation, credential injection and redaction.
#pragma once

#include <string>
#include <string_view>

#include "cctv/error.hpp"

namespace cctv {

enum class SourceKind { kRtsp, kRtsps, kHttp, kHttps, kFile, kLavfi, kStdin };

// A camera on the network (as opposed to a file or a lavfi graph): its end of
// stream is a lost connection, and its URL may carry credentials.
inline bool is_network(SourceKind k) {
  return k != SourceKind::kFile && k != SourceKind::kLavfi && k != SourceKind::kStdin;
}

// A validated source. For kFile, `path` is the file path; for kLavfi, `path`
// is the filter graph; for network kinds, host/port/path come from the URL.
// kStdin is "-" (or FFmpeg's "pipe:0"): a stream on standard input.
struct SourceUrl {
  SourceKind kind = SourceKind::kFile;
  std::string scheme;    // "rtsp", "http", ... ; empty for files, "lavfi" for lavfi
  std::string user;      // from the URL's userinfo, percent-decoded
  std::string password;  // idem
  std::string host;
  int port = 0;          // 0: the scheme's default
  std::string path;      // path + query for network kinds
  std::string original;  // as given, with the scheme in lower case
};

// Parses and validates a source argument. Errors (all ExitCode::kUsage, with a
// message that names the problem): empty argument, unknown scheme, missing
// host, malformed URL, invalid port, empty lavfi graph. "-" and "pipe:0" are
// standard input; any other string without "scheme://" is a file path
// (checked later by opening it).
[[nodiscard]] Result<SourceUrl> parse_source_url(std::string_view text);

// The URL with `user`/`password` (percent-encoded) as its userinfo; an empty
// user leaves the userinfo out. Network kinds only.
[[nodiscard]] std::string url_with_credentials(const SourceUrl& url, std::string_view user,
                                               std::string_view password);

// Replaces the password of every "scheme://user:password@" in `text` by ***,
// so that URLs embedded in any message (FFmpeg's included) are safe to print,
// malformed ones too: a password holding '/', '?', '#' or a space hides
// everything up to the last '@' of the quoted URL or the line. A URL without
// a password is returned unchanged. Never throws.
[[nodiscard]] std::string redact(std::string_view text);

}  // namespace cctv
