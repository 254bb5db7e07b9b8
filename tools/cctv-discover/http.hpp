// SPDX-License-Identifier: MIT
// One HTTP POST with a deadline (Boost.Beast), and the URL pieces it needs.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"

namespace cctv::discover {

struct HttpRequest {
  std::string url;            // http://host[:port]/path?query
  std::string content_type;   // "application/soap+xml; charset=utf-8; action=\"...\""
  std::string authorization;  // the Authorization header, or "" for none
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::string> www_authenticate;  // every WWW-Authenticate value, in order
  std::string body;
};

// How the SOAP layer sends a request: http_post() in the tool, a recording
// fake in the unit tests.
using HttpPost = std::function<Result<HttpResponse>(const HttpRequest&)>;

// An http URL cut into what a request needs.
struct HttpUrl {
  std::string host;    // without brackets for IPv6
  int port = 80;
  std::string target;  // path and query, "/" at least
};

// Parses an http:// URL. kUsage (one line naming the URL, password redacted)
// for another scheme, no host, or a bad port. https is refused as well:
// the tool speaks plain HTTP only.
[[nodiscard]] Result<HttpUrl> parse_http_url(std::string_view url);

// `url` with its host replaced by `host` (an IP address or a name; IPv6
// without brackets), for any scheme; `url` unchanged when it does not parse.
[[nodiscard]] std::string url_with_host(std::string_view url, std::string_view host);

// The host of any URL (IPv6 without brackets), or "" when it does not parse.
[[nodiscard]] std::string url_host(std::string_view url);

// POSTs `req` and reads the whole answer (at most 4 MiB), all within
// `timeout` from the start, the name lookup excepted. Connection refused, no
// route, DNS failures and the deadline are kUnreachable (timeout set on the
// Error for the last); a malformed answer is kFailure. A termination signal
// (signals.hpp) aborts the request within 0.1 s as kFailure "interrupted".
// Any HTTP status is a success here; the caller judges it. Thread-safe: each
// call has its own io_context.
[[nodiscard]] Result<HttpResponse> http_post(const HttpRequest& req, std::chrono::milliseconds timeout);

}  // namespace cctv::discover
