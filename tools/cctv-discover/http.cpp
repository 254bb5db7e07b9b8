// SPDX-License-Identifier: MIT
// http_post(): one Beast exchange on its own io_context, bounded by a deadline.
// The only translation unit with Beast (slow to compile).
#include "http.hpp"

#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>

#include "cctv/signals.hpp"
#include "cctv/url.hpp"

namespace cctv::discover {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kMaxBody = 4 << 20;  // a GetProfiles answer is some kilobytes

// The state of one exchange, outliving the coroutine for the run loop to cancel it.
struct Exchange {
  explicit Exchange(asio::io_context& ioc) : resolver(ioc), stream(ioc) {}
  tcp::resolver resolver;
  beast::tcp_stream stream;
  bool done = false;
  bool interrupted = false;
  bool late = false;  // the deadline passed during the name lookup
  Result<HttpResponse> result = fail(ExitCode::kFailure, "no answer");
};

Error net_error(std::string_view url, const error_code& ec, std::chrono::milliseconds timeout) {
  const std::string where = redact(url);
  if (ec == beast::error::timeout) {
    Error e{ExitCode::kUnreachable, fmt::format("{}: no answer within {:g} s", where, timeout.count() / 1000.0), ""};
    e.timeout = true;
    return e;
  }
  if (ec == asio::error::connection_refused || ec == asio::error::host_unreachable ||
      ec == asio::error::network_unreachable || ec == asio::error::host_not_found ||
      ec == asio::error::host_not_found_try_again || ec == asio::error::no_data) {
    return Error{ExitCode::kUnreachable, where + ": cannot connect", ec.message()};
  }
  if (ec == bhttp::error::body_limit) return Error{ExitCode::kFailure, where + ": answer larger than 4 MiB", ""};
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) {
    return Error{ExitCode::kFailure, where + ": connection closed without an answer", ec.message()};
  }
  return Error{ExitCode::kFailure, where + ": HTTP exchange failed", ec.message()};
}

std::string host_header(const HttpUrl& u) {
  const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  return u.port == 80 ? host : fmt::format("{}:{}", host, u.port);
}

asio::awaitable<void> run(Exchange& x, const HttpUrl u, const HttpRequest& req, std::chrono::milliseconds timeout) {
  error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  const auto finish = [&x](Result<HttpResponse> r) {
    x.result = std::move(r);
    x.done = true;
  };
  // The run loop cancels an exchange whose name lookup outlasts the deadline.
  const auto failed = [&] {
    if (x.late && ec == asio::error::operation_aborted) ec = beast::error::timeout;
    return fail(net_error(req.url, ec, timeout));
  };
  std::vector<tcp::endpoint> endpoints;
  if (const auto addr = asio::ip::make_address(u.host, ec); !ec) {
    endpoints.emplace_back(addr, static_cast<unsigned short>(u.port));
  } else {
    ec = {};
    const auto found = co_await x.resolver.async_resolve(u.host, std::to_string(u.port), token);
    if (ec) co_return finish(failed());
    for (const auto& e : found) endpoints.push_back(e.endpoint());
  }
  co_await x.stream.async_connect(endpoints, token);
  if (ec) co_return finish(failed());

  bhttp::request<bhttp::string_body> r{bhttp::verb::post, u.target, 11};
  r.set(bhttp::field::host, host_header(u));
  r.set(bhttp::field::user_agent, "cctv-discover/" CCTV_VERSION);
  r.set(bhttp::field::content_type, req.content_type);
  if (!req.authorization.empty()) r.set(bhttp::field::authorization, req.authorization);
  r.body() = req.body;
  r.prepare_payload();
  co_await bhttp::async_write(x.stream, r, token);
  if (ec) co_return finish(failed());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxBody);
  co_await bhttp::async_read(x.stream, buffer, parser, token);
  if (ec) co_return finish(failed());

  HttpResponse out;
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (auto [it, end] = res.equal_range(bhttp::field::www_authenticate); it != end; ++it) {
    out.www_authenticate.emplace_back(it->value());
  }
  out.body = std::move(res.body());
  error_code ignored;
  x.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  finish(std::move(out));
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view url) {
  const auto bad = [url](std::string_view why) {
    return fail(ExitCode::kUsage, fmt::format("'{}': {}", redact(url), why));
  };
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return bad("not a URL");
  if (parsed->scheme() == "https") return bad("https is not supported, only http");
  if (parsed->scheme() != "http") return bad("not an http URL");
  HttpUrl u;
  u.host = parsed->host_address();
  if (u.host.empty()) return bad("no host");
  if (parsed->has_port()) {
    const auto port = parsed->port_number();
    if (port == 0) return bad("bad port");
    u.port = port;
  }
  u.target = std::string(parsed->encoded_path());
  if (u.target.empty()) u.target = "/";
  if (parsed->has_query()) u.target += "?" + std::string(parsed->encoded_query());
  return u;
}

std::string url_with_host(std::string_view url, std::string_view host) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::string(url);
  boost::urls::url u(*parsed);
  u.set_host_address(host);
  return std::string(u.buffer());
}

std::string url_host(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  return parsed ? std::string(parsed->host_address()) : std::string();
}

Result<HttpResponse> http_post(const HttpRequest& req, std::chrono::milliseconds timeout) {
  auto u = parse_http_url(req.url);
  if (!u) return fail(u.error());
  asio::io_context ioc;
  Exchange x(ioc);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  x.stream.expires_at(deadline);
  asio::co_spawn(ioc, run(x, *u, req, timeout), asio::detached);
  bool cancelled = false;
  while (!ioc.stopped()) {
    ioc.run_for(std::chrono::milliseconds(100));
    if (x.done || cancelled) continue;
    // The stream's own timer covers connect, write and read; the name lookup
    // and a termination signal need a hand.
    if (stop_requested()) x.interrupted = true;
    else if (std::chrono::steady_clock::now() >= deadline + std::chrono::milliseconds(50)) x.late = true;
    else continue;
    cancelled = true;
    x.resolver.cancel();
    x.stream.cancel();
  }
  if (x.interrupted) return fail(ExitCode::kFailure, redact(req.url) + ": interrupted");
  return std::move(x.result);
}

}  // namespace cctv::discover
