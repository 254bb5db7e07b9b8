// SPDX-License-Identifier: MIT
// The HTTP(S) server: listener, per-connection coroutine on its own strand, auth, routes, MJPEG streaming,
// and fMP4 for MSE viewers (WebSocket or chunked HTTP).
// The session code is generic over the stream: plain TCP or TLS (Asio SSL).
#include "server.hpp"

#include <atomic>
#include <charconv>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/signals.hpp"
#include "login_throttle.hpp"
#include "pages.hpp"

namespace cctv::mjpeg {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kBoundary = "cctvframe";
constexpr std::size_t kHeaderLimit = 8 * 1024;   // a browser's request is well under 2 KiB
constexpr auto kHeaderTimeout = 10s;             // slowloris: the whole request header within this
constexpr auto kWriteTimeout = 30s;              // a viewer that takes nothing for this long is dropped
constexpr auto kFreshFrame = 1s;                 // a snapshot younger than this needs no wait
constexpr auto kCloseTimeout = 2s;               // TLS close_notify exchange at the end of a connection
constexpr auto kLoginWait = 10s;                 // longest wait for a throttled client's turn, else 429
// A WebSocket viewer from which nothing (not even a pong to our ping) came
// for this long is gone: one that stopped reading is dropped after it.
constexpr auto kWebSocketIdle = 20s;
constexpr std::size_t kWebSocketReadLimit = 4096;  // a viewer has nothing to send but control frames
// The kernel's send buffer of an MSE viewer: what it holds is latency the
// viewer's queue cannot see, so it stays small (the kernel doubles it; it
// still carries 40 Mbit/s at 50 ms of round trip).
constexpr int kMediaSendBuffer = 256 * 1024;

double now_s() { return std::chrono::duration<double>(SteadyClock::now().time_since_epoch()).count(); }

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// One client connection over `Stream` (PlainStream or TlsStream); lives in its
// coroutine and in the registry (weakly).
template <class Stream>
struct Conn {
  template <class... Args>
  explicit Conn(Args&&... args) : stream(std::forward<Args>(args)...), wake(stream.get_executor()) {}
  Stream stream;
  asio::steady_timer wake;  // a frame's arrival cancels it (see Subscription)
  // The TCP layer: timeouts, cancel, close.
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream); }
};

// What a slot or a queue calls from the capture thread when something
// arrived: cancels the connection's wait, on its strand, if it still lives.
template <class C>
std::function<void()> waker(const std::shared_ptr<C>& conn) {
  return [w = std::weak_ptr<C>(conn), ex = conn->stream.get_executor()] {
    asio::post(ex, [w] {
      if (auto c = w.lock()) c->wake.cancel();
    });
  };
}

// A slot subscribed to a hub for as long as it lives; the capture thread's
// put() wakes the connection through its strand.
class Subscription {
 public:
  template <class C>
  Subscription(Hub& hub, const std::shared_ptr<C>& conn, bool stream)
      : hub_(hub), slot_(std::make_shared<ViewerSlot>()), stream_(stream) {
    slot_->set_wake(waker(conn));
    hub_.subscribe(slot_, stream_, stream ? milliseconds(kFreshFrame) : milliseconds(0));
  }
  ~Subscription() {
    hub_.unsubscribe(slot_, stream_);
    slot_->set_wake(nullptr);
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ViewerSlot& slot() { return *slot_; }

 private:
  Hub& hub_;
  std::shared_ptr<ViewerSlot> slot_;
  bool stream_;
};

// A viewer's queue subscribed to a media hub for as long as it lives; the
// capture thread's put() wakes the connection through its strand.
class MediaSubscription {
 public:
  template <class C>
  MediaSubscription(MediaHub& hub, const std::shared_ptr<C>& conn, bool audio)
      : hub_(hub), queue_(hub.subscribe(audio)) {
    queue_->set_wake(waker(conn));
  }
  ~MediaSubscription() {
    hub_.unsubscribe(queue_);
    queue_->set_wake(nullptr);
  }
  MediaSubscription(const MediaSubscription&) = delete;
  MediaSubscription& operator=(const MediaSubscription&) = delete;
  MediaQueue& queue() { return *queue_; }

 private:
  MediaHub& hub_;
  std::shared_ptr<MediaQueue> queue_;
};

struct Target {
  std::string path;
  std::optional<double> fps;  // ?fps=N
  std::string token;          // ?token=T (for <img> tags, which cannot send headers)
  bool audio = true;          // ?audio=0: an MSE stream without the camera's audio
  std::string exp, sig;       // ?exp=UNIX_TIME&sig=S: a signed link (--url-key-file)
  // LL-HLS: ?_HLS_msn=N&_HLS_part=M (a blocking playlist reload), init.mp4?v=G.
  std::optional<std::uint64_t> hls_msn, hls_part, version;
  // token, exp, sig and audio=0 as they came (still encoded), for the URIs
  // inside a playlist: "" or "?k=v&k=v".
  std::string carry;
  bool ok = true;
};

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

Target parse_target(std::string_view text) {
  Target t;
  auto u = boost::urls::parse_origin_form(text);
  Target bad;
  bad.ok = false;
  if (!u) return bad;
  t.path = std::string(u->path());
  for (const auto& p : u->encoded_params()) {
    const bool carried = p.key == "token" || p.key == "exp" || p.key == "sig" || (p.key == "audio" && p.value == "0");
    if (carried) t.carry += (t.carry.empty() ? "?" : "&") + std::string(p.key) + "=" + std::string(p.value);
  }
  for (const auto& p : u->params()) {
    if (p.key == "_HLS_msn" || p.key == "_HLS_part" || p.key == "v") {
      auto n = parse_count(p.value);
      if (!n) return bad;
      (p.key == "v" ? t.version : p.key == "_HLS_msn" ? t.hls_msn : t.hls_part) = n;
    }
    if (p.key == "token") t.token = p.value;
    if (p.key == "exp") t.exp = p.value;
    if (p.key == "sig") t.sig = p.value;
    if (p.key == "audio") {
      if (p.value != "0" && p.value != "1") return bad;
      t.audio = p.value == "1";
    }
    if (p.key != "fps") continue;
    double v = 0;
    auto [end, ec] = std::from_chars(p.value.data(), p.value.data() + p.value.size(), v);
    if (ec != std::errc() || end != p.value.data() + p.value.size() || !(v > 0) || v > 1000) return bad;
    t.fps = v;
  }
  return t;
}

// The LL-HLS resources under /NAME/: index.m3u8, init.mp4, segN.m4s, partN.m4s.
struct HlsLeaf {
  enum Kind { kNone, kPlaylist, kInit, kSegment, kPart } kind = kNone;
  std::uint64_t number = 0;
};

HlsLeaf hls_leaf(std::string_view leaf) {
  if (leaf == "index.m3u8") return {HlsLeaf::kPlaylist};
  if (leaf == "init.mp4") return {HlsLeaf::kInit};
  for (auto [prefix, kind] : {std::pair{std::string_view("seg"), HlsLeaf::kSegment}, {"part", HlsLeaf::kPart}}) {
    if (!leaf.starts_with(prefix) || !leaf.ends_with(".m4s")) continue;
    auto n = parse_count(leaf.substr(prefix.size(), leaf.size() - prefix.size() - 4));
    if (n) return {kind, *n};
  }
  return {};
}

using Request = http::request<http::empty_body>;

using Response = http::response<http::string_body>;

Response text_response(http::status status, std::string body, std::string_view type, const auto& req) {
  Response res{status, req.version()};
  res.set(http::field::server, "cctv-mjpeg-serve");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();  // Content-Length stays the full size
  return res;
}

// Bytes as a body (one memcpy: a copy by iterators goes byte by byte).
std::string body_of(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Response error_response(http::status status, std::string_view why, const auto& req) {
  return text_response(status, std::string(why) + "\n", "text/plain; charset=utf-8", req);
}

// What authorized() decided.
// kDeny: 401 with the challenges; kBusy: a throttled client's turn is too far
// off (429); kExpired: a signed link whose time passed (410); kForbidden: a
// wrong signed link, or none where only signed links are accepted (403).
enum class Verdict { kAllow, kDeny, kBusy, kExpired, kForbidden };

std::string_view field_text(beast::string_view v) { return {v.data(), v.size()}; }

ClientKey client_of(const asio::ip::address& a) {
  return a.is_v4() ? client_key(a.to_v4().to_bytes()) : client_key(a.to_v6().to_bytes());
}

}  // namespace

struct Server::Impl {
  Impl(const Options& o, std::vector<std::shared_ptr<Hub>> h) : opts(o), hubs(std::move(h)) {
    for (const auto& hub : hubs) by_name[hub->name()] = hub;
    if (opts.tls) {  // Asio's context adopts (and later frees) one reference of options' SSL_CTX
      SSL_CTX_up_ref(opts.tls.get());
      tls.emplace(opts.tls.get());
    }
  }

  Options opts;
  std::vector<std::shared_ptr<Hub>> hubs;
  std::map<std::string, std::shared_ptr<Hub>, std::less<>> by_name;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::optional<ssl::context> tls;
  asio::thread_pool verifier{1};  // password hashes (see authorized())
  LoginThrottle throttle;
  std::atomic<int> stream_viewers{0};
  std::atomic<bool> stopping{false};
  std::mutex conns_mu;
  std::list<std::function<void()>> conns;  // per open connection: closes it (on its strand)

  std::vector<CameraView> views() const {
    std::vector<CameraView> out;
    const auto now = SteadyClock::now();
    for (const auto& h : hubs) out.push_back({h->name(), h->display_url(), h->stats(now)});
    return out;
  }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> watch_stop();
  template <class S>
  asio::awaitable<void> session(std::shared_ptr<Conn<S>> conn);
  template <class S>
  asio::awaitable<bool> handle(std::shared_ptr<Conn<S>> conn, const Request& req);
  template <class S>
  asio::awaitable<void> stream(std::shared_ptr<Conn<S>> conn, Hub& hub, std::optional<double> fps, bool head);
  template <class S>
  asio::awaitable<MediaQueue::Batch> next_batch(Conn<S>& conn, MediaQueue& queue);
  template <class S>
  asio::awaitable<void> fmp4_stream(std::shared_ptr<Conn<S>> conn, Hub& hub, bool audio, bool head);
  template <class S>
  asio::awaitable<void> websocket_stream(std::shared_ptr<Conn<S>> conn, Hub& hub, bool audio, const Request& req);
  template <class S>
  asio::awaitable<Response> snapshot(std::shared_ptr<Conn<S>> conn, Hub& hub, const Request& req);
  template <class S>
  asio::awaitable<Response> hls(std::shared_ptr<Conn<S>> conn, Hub& hub, const Request& req, const Target& t,
                                HlsLeaf leaf);
  template <class S>
  asio::awaitable<JpegPtr> next_frame(Conn<S>& conn, ViewerSlot& slot, SteadyClock::time_point deadline);
  template <class S>
  asio::awaitable<Verdict> authorized(Conn<S>& conn, const Request& req, const Target& t);
  Response unauthorized(const Request& req) const;
  void close_all();
};

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {  // ends when the acceptor is closed at shutdown
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kNoThrow);
    if (stopping) co_return;
    if (ec) {
      // Out of descriptors (EMFILE) or similar: pause instead of spinning.
      log_warn("accept: {}", ec.message());
      asio::steady_timer t(ioc, 100ms);
      co_await t.async_wait(kNoThrow);
      continue;
    }
    auto ex = socket.get_executor();
    if (tls) {
      asio::co_spawn(ex, session(std::make_shared<Conn<TlsStream>>(std::move(socket), *tls)), asio::detached);
    } else {
      asio::co_spawn(ex, session(std::make_shared<Conn<PlainStream>>(std::move(socket))), asio::detached);
    }
  }
}

// tool_main's handlers set the library's stop flag (which also interrupts the
// capture threads' FFmpeg I/O); an asio::signal_set would replace those
// handlers, so the server polls the flag instead.
asio::awaitable<void> Server::Impl::watch_stop() {
  asio::steady_timer t(ioc);
  while (!stop_requested()) {
    t.expires_after(100ms);
    co_await t.async_wait(kNoThrow);
  }
  log_info("stopping: closing {} connection(s)", conns.size());
  stopping = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  close_all();
}

void Server::Impl::close_all() {
  std::lock_guard lock(conns_mu);
  for (auto& close : conns) close();
}

namespace {

// What close_all() does to one connection.
template <class S>
std::function<void()> closer(const std::shared_ptr<Conn<S>>& conn) {
  return [w = std::weak_ptr<Conn<S>>(conn)] {
    auto c = w.lock();
    if (!c) return;
    asio::post(c->stream.get_executor(), [c] {
      c->tcp().cancel();
      c->wake.cancel();
      beast::error_code ec;
      c->tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
      c->tcp().close();
    });
  };
}

}  // namespace

// Waits, on the connection's timer, until `ready()` is true, `deadline`
// passes, the connection closes or the server stops; true when ready. Each
// arrival (a slot's, a queue's or an LL-HLS window's wake-up) cancels the
// wait: the check and the wait start within one strand turn, so a wake-up
// posted in between cancels the wait rather than being lost. `waiting`, when
// given, is called with +1 when it first waits and -1 when it is done.
template <class S, class Ready>
asio::awaitable<bool> wait_until(Conn<S>& conn, SteadyClock::time_point deadline, const std::atomic<bool>& stopping,
                                 Ready ready, const std::function<void(int)>& waiting = {}) {
  bool blocked = false;
  bool done = false;
  for (;;) {  // bounded by `deadline`, the connection and shutdown
    done = ready();
    if (done || stopping || SteadyClock::now() >= deadline || !conn.tcp().socket().is_open()) break;
    if (!blocked && waiting) waiting(1);
    blocked = true;
    conn.wake.expires_at(std::min(deadline, SteadyClock::now() + 1s));
    co_await conn.wake.async_wait(kNoThrow);
  }
  if (blocked && waiting) waiting(-1);
  co_return done;
}

template <class S>
asio::awaitable<JpegPtr> Server::Impl::next_frame(Conn<S>& conn, ViewerSlot& slot, SteadyClock::time_point deadline) {
  JpegPtr f;
  co_await wait_until(conn, deadline, stopping, [&] { return (f = slot.take()) != nullptr; });
  co_return f;
}

template <class S>
asio::awaitable<void> Server::Impl::stream(std::shared_ptr<Conn<S>> conn, Hub& hub, std::optional<double> fps,
                                           bool head) {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::server, "cctv-mjpeg-serve");
  res.set(http::field::content_type, fmt::format("multipart/x-mixed-replace; boundary={}", kBoundary));
  res.set(http::field::cache_control, "no-cache, no-store, must-revalidate");
  res.set(http::field::pragma, "no-cache");
  res.set(http::field::connection, "close");
  http::response_serializer<http::empty_body> sr{res};
  conn->tcp().expires_after(kWriteTimeout);
  auto [ec, n] = co_await http::async_write_header(conn->stream, sr, kNoThrow);
  if (ec || head) co_return;
  Subscription sub(hub, conn, true);
  auto cap = FrameCap::per_second(fps.value_or(0));
  std::string open = fmt::format("--{}\r\n", kBoundary);
  std::tie(ec, n) = co_await asio::async_write(conn->stream, asio::buffer(open), kNoThrow);
  const std::string close = fmt::format("\r\n--{}\r\n", kBoundary);
  while (!ec) {  // ends when the viewer goes, a write times out, or at shutdown
    JpegPtr f = co_await next_frame(*conn, sub.slot(), SteadyClock::time_point::max());
    if (!f) break;
    // ?fps=N: hold the frame until it is due; newer ones replace it meanwhile
    // (each arrival cancels the wait, hence the loop; bounded by the cap's period).
    while (!cap.due(now_s()) && !stopping && conn->tcp().socket().is_open()) {
      conn->wake.expires_at(SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                     std::chrono::duration<double>(cap.next_due() - now_s())));
      co_await conn->wake.async_wait(kNoThrow);
      if (auto newer = sub.slot().take()) f = std::move(newer);
    }
    if (stopping) break;
    cap.taken(now_s());
    // The boundary goes right after the picture: Chromium shows a part only
    // once the next boundary arrives, so a boundary sent with the next frame
    // would show every frame one frame late.
    const std::string part_head =
        fmt::format("Content-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n", f->bytes.size());
    const std::array<asio::const_buffer, 3> bufs{asio::buffer(part_head), asio::buffer(f->bytes),
                                                 asio::buffer(close)};
    conn->tcp().expires_after(kWriteTimeout);
    std::tie(ec, n) = co_await asio::async_write(conn->stream, bufs, kNoThrow);
    if (!ec) hub.count_sent(f->bytes.size());
  }
}

template <class S>
asio::awaitable<MediaQueue::Batch> Server::Impl::next_batch(Conn<S>& conn, MediaQueue& queue) {
  MediaQueue::Batch b;
  const bool got = co_await wait_until(conn, SteadyClock::time_point::max(), stopping, [&] {
    b = queue.take();
    return b.init || !b.fragments.empty() || !b.end.empty();
  });
  if (!got) b.end = "the server is stopping";
  co_return b;
}

// GET /NAME/stream.mp4: the camera's fMP4 over chunked HTTP (ffplay, VLC,
// curl). A stream cannot change its init segment: after a parameter change
// the response ends, and the client opens it again.
template <class S>
asio::awaitable<void> Server::Impl::fmp4_stream(std::shared_ptr<Conn<S>> conn, Hub& hub, bool audio, bool head) {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::server, "cctv-mjpeg-serve");
  res.set(http::field::content_type, "video/mp4");
  res.set(http::field::cache_control, "no-cache, no-store, must-revalidate");
  res.set(http::field::connection, "close");
  res.chunked(!head);
  http::response_serializer<http::empty_body> sr{res};
  conn->tcp().expires_after(kWriteTimeout);
  auto [ec, n] = co_await http::async_write_header(conn->stream, sr, kNoThrow);
  if (ec || head) co_return;
  conn->tcp().socket().set_option(asio::socket_base::send_buffer_size(kMediaSendBuffer), ec);
  MediaSubscription sub(*hub.media(), conn, audio);
  bool sent_init = false;
  while (!ec) {  // ends when the viewer goes, a write times out, the stream changes, or at shutdown
    auto b = co_await next_batch(*conn, sub.queue());
    if (!b.end.empty() || (b.init && sent_init)) break;
    if (b.init) {
      conn->tcp().expires_after(kWriteTimeout);
      std::tie(ec, n) = co_await asio::async_write(conn->stream, http::make_chunk(asio::buffer(b.init->bytes)), kNoThrow);
      sent_init = true;
    }
    for (const auto& f : b.fragments) {
      if (ec) break;
      conn->tcp().expires_after(kWriteTimeout);
      std::tie(ec, n) = co_await asio::async_write(conn->stream, http::make_chunk(asio::buffer(f->bytes)), kNoThrow);
      if (!ec) hub.media()->count_sent(f->bytes.size());
    }
  }
  if (!ec && !stopping) {
    conn->tcp().expires_after(5s);
    co_await asio::async_write(conn->stream, http::make_chunk_last(), kNoThrow);
  }
}

// GET /NAME/stream.ws: a JSON text message with the MIME type, then binary
// messages: the init segment and one fragment per frame. Another init (a
// parameter change after a reconnect) comes with its own text message. The
// viewer has nothing to say: any message from it closes the connection, and
// one that answers no ping for kWebSocketIdle is dropped.
template <class S>
asio::awaitable<void> Server::Impl::websocket_stream(std::shared_ptr<Conn<S>> conn, Hub& hub, bool audio,
                                                     const Request& req) {
  auto ws = std::make_shared<websocket::stream<S&>>(conn->stream);
  conn->tcp().expires_never();  // the WebSocket's own timeouts from here on
  websocket::stream_base::timeout limits{};
  limits.handshake_timeout = kHeaderTimeout;
  limits.idle_timeout = kWebSocketIdle;
  limits.keep_alive_pings = true;
  ws->set_option(limits);
  ws->set_option(websocket::stream_base::decorator(
      [](websocket::response_type& r) { r.set(http::field::server, "cctv-mjpeg-serve"); }));
  ws->read_message_max(kWebSocketReadLimit);
  auto [ec] = co_await ws->async_accept(req, kNoThrow);
  if (ec) co_return;
  conn->tcp().socket().set_option(asio::socket_base::send_buffer_size(kMediaSendBuffer), ec);
  // The reader: pongs and close frames are handled inside async_read; it
  // returns on a data message, an error or a timeout, and the connection ends.
  asio::co_spawn(
      conn->stream.get_executor(),
      [ws, conn]() -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        auto [rec, n] = co_await ws->async_read(buffer, kNoThrow);
        if (!rec) log_debug("WebSocket viewer sent a message: closing its connection");
        conn->wake.cancel();
        beast::error_code ignored;
        conn->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        conn->tcp().close();
      },
      asio::detached);
  MediaSubscription sub(*hub.media(), conn, audio);
  MediaHub& media = *hub.media();
  while (!ec) {  // ends when the viewer goes, the reader ends it, or at shutdown
    auto b = co_await next_batch(*conn, sub.queue());
    if (!b.end.empty()) {
      if (!stopping && conn->tcp().socket().is_open()) {  // 1003: this camera's video is not for MSE
        co_await ws->async_close(websocket::close_reason(websocket::close_code::unknown_data, b.end), kNoThrow);
      }
      break;
    }
    if (b.init) {
      const std::string message = mse_init_message(*b.init);
      ws->text(true);
      std::tie(ec, std::ignore) = co_await ws->async_write(asio::buffer(message), kNoThrow);
      ws->binary(true);
      if (!ec) std::tie(ec, std::ignore) = co_await ws->async_write(asio::buffer(b.init->bytes), kNoThrow);
    }
    for (const auto& f : b.fragments) {
      if (ec) break;
      std::tie(ec, std::ignore) = co_await ws->async_write(asio::buffer(f->bytes), kNoThrow);
      if (!ec) media.count_sent(f->bytes.size());
    }
  }
  // The reader may still wait on the stream: the connection ends here, so
  // that nothing (a TLS close_notify) runs beside it.
  beast::error_code ignored;
  conn->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  conn->tcp().close();
}

template <class S>
asio::awaitable<Response> Server::Impl::snapshot(std::shared_ptr<Conn<S>> conn, Hub& hub,
                                                 const Request& req) {
  JpegPtr f = hub.latest();
  const bool fresh = f && hub.stats(SteadyClock::now()).connected && SteadyClock::now() - f->captured < kFreshFrame;
  if (!fresh) {  // connect on demand and wait for the next frame, within the input timeout
    Subscription sub(hub, conn, false);
    const auto deadline = SteadyClock::now() + opts.input.source.timeout + 2s;
    if (auto next = co_await next_frame(*conn, sub.slot(), deadline)) f = std::move(next);
  }
  if (!f) co_return error_response(http::status::service_unavailable, "no frame from the camera yet", req);
  Response res{http::status::ok, req.version()};
  res.set(http::field::server, "cctv-mjpeg-serve");
  res.set(http::field::content_type, "image/jpeg");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = body_of(f->bytes);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();
  hub.count_sent(f->bytes.size());
  co_return res;
}

// A segment: its parts back to back.
std::string joined(const std::vector<HlsPartPtr>& parts) {
  std::size_t size = 0;
  for (const auto& p : parts) size += p->bytes.size();
  std::string out;
  out.reserve(size);
  for (const auto& p : parts) out.append(reinterpret_cast<const char*>(p->bytes.data()), p->bytes.size());
  return out;
}

// GET /NAME/index.m3u8, init.mp4, segN.m4s, partN.m4s: Low-Latency HLS from
// the camera's fMP4 fragments (HlsWindow). A playlist request with _HLS_msn
// (and _HLS_part) waits until the playlist holds that segment (or part), at
// most three target durations (then the playlist as it is); one far beyond
// the live edge gets 400. A request for the part being made (the preload
// hint) waits until it is complete. The token, signature and audio=0 of the
// request are carried onto every URI of the playlist.
template <class S>
asio::awaitable<Response> Server::Impl::hls(std::shared_ptr<Conn<S>> conn, Hub& hub, const Request& req,
                                            const Target& t, HlsLeaf leaf) {
  MediaHub& media = *hub.media();
  beast::error_code ec;
  const auto peer = conn->tcp().socket().remote_endpoint(ec);
  HlsWindow& w = media.hls(t.audio, ec ? std::string() : peer.address().to_string());
  const auto wake = waker(conn);
  const std::function<void(int)> blocked = [&media](int delta) { media.count_hls_blocked(delta); };
  Response res;
  if (leaf.kind == HlsLeaf::kPlaylist) {
    const HlsWant want{t.hls_msn, t.hls_part};
    HlsWindow::Ready r = HlsWindow::Ready::kWait;
    // The first request of a player also waits for the camera to connect.
    const auto limit = want.msn ? w.block_limit() : w.block_limit() + opts.input.source.timeout;
    if (want.part && !want.msn) {
      r = HlsWindow::Ready::kTooFar;
    } else {
      // An MJPEG camera is known as one once connected: the wait ends then (415).
      co_await wait_until(
          *conn, SteadyClock::now() + limit, stopping,
          [&] { return (r = w.ready(want, wake)) != HlsWindow::Ready::kWait || !media.unsupported().empty(); },
          blocked);
    }
    if (const auto why = media.unsupported(); !why.empty()) {
      res = error_response(http::status::unsupported_media_type, why, req);
    } else if (r == HlsWindow::Ready::kTooFar) {
      res = error_response(http::status::bad_request, "_HLS_msn/_HLS_part: beyond the live edge, or _HLS_part alone",
                           req);
    } else if (r == HlsWindow::Ready::kWait && !want.msn) {
      res = error_response(http::status::service_unavailable, "no video from the camera yet", req);
    } else {  // ready, or waited long enough: the playlist as it is
      res = text_response(http::status::ok, w.playlist(t.carry), "application/vnd.apple.mpegurl", req);
      media.count_hls(MediaHub::HlsServed::kPlaylist);
    }
  } else if (leaf.kind == HlsLeaf::kInit) {
    if (auto init = w.init(t.version)) {
      res = text_response(http::status::ok, body_of(init->bytes), "video/mp4", req);
    } else {
      res = error_response(http::status::not_found, "no such init segment", req);
    }
  } else if (leaf.kind == HlsLeaf::kSegment) {
    auto parts = w.segment(leaf.number);
    res = parts.empty() ? error_response(http::status::not_found, "no such segment (not complete, or gone)", req)
                        : text_response(http::status::ok, joined(parts), "video/mp4", req);
    if (!parts.empty()) media.count_hls(MediaHub::HlsServed::kSegment);
  } else {
    HlsPartPtr part;
    bool pending = false;
    co_await wait_until(
        *conn, SteadyClock::now() + w.block_limit(), stopping,
        [&] {
          part = w.part(leaf.number, pending, wake);
          return part != nullptr || !pending;
        },
        blocked);
    if (part) {
      res = text_response(http::status::ok, body_of(part->bytes), "video/mp4", req);
      media.count_hls(MediaHub::HlsServed::kPart);
    } else {
      res = pending ? error_response(http::status::service_unavailable, "the part was not made in time", req)
                    : error_response(http::status::not_found, "no such part (not yet, or gone)", req);
    }
  }
  // Apps and pages of the origins --allow-origin names may read it (hls.js fetches).
  const auto origin = field_text(req[http::field::origin]);
  if (!origin.empty() && origin_allowed(origin, field_text(req[http::field::host]), kIsTls<S>, opts.allow_origins)) {
    res.set(http::field::access_control_allow_origin, origin);
    res.set(http::field::vary, "Origin");
  }
  co_return res;
}

// Every login attempt of a client waits for its turn (LoginThrottle) on the
// connection's timer, never blocking a thread: failures slow that client down
// and no one else. A password hash takes milliseconds: it runs on a thread of
// its own, so that a flood of wrong passwords never stalls the session threads.
template <class S>
asio::awaitable<Verdict> Server::Impl::authorized(Conn<S>& conn, const Request& req, const Target& t) {
  if ((!opts.auth && !opts.signer) || t.path == "/healthz") co_return Verdict::kAllow;
  // What the answer is when nothing lets the request in.
  Verdict otherwise = opts.auth ? Verdict::kDeny : Verdict::kForbidden;
  if (opts.signer && (!t.exp.empty() || !t.sig.empty())) {
    // A 256-bit HMAC cannot be guessed: no login throttle for signed links.
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    switch (opts.signer->check(t.path, t.exp, t.sig, now.count())) {
      case UrlSigner::Verdict::kValid: co_return Verdict::kAllow;
      case UrlSigner::Verdict::kExpired: otherwise = Verdict::kExpired; break;
      case UrlSigner::Verdict::kBad: otherwise = Verdict::kForbidden; break;
    }
  }
  if (!opts.auth) co_return otherwise;
  const auto field = req[http::field::authorization];
  const std::string_view header(field.data(), field.size());
  beast::error_code ec;
  const auto peer = conn.tcp().socket().remote_endpoint(ec).address();
  if ((header.empty() && t.token.empty()) || ec) co_return otherwise;  // no attempt (a browser's first), or gone
  const ClientKey client = client_of(peer);
  const auto give_up = SteadyClock::now() + kLoginWait;
  while (auto turn = throttle.claim(client, SteadyClock::now())) {  // bounded by give_up
    if (*turn > give_up || stopping) co_return Verdict::kBusy;
    conn.wake.expires_at(*turn);
    co_await conn.wake.async_wait(kNoThrow);
  }
  bool ok = false;
  if (auto quick = opts.auth->quick_check(header, t.token)) {
    ok = *quick;
  } else {
    ok = co_await asio::co_spawn(
        verifier, [&]() -> asio::awaitable<bool> { co_return opts.auth->allows(header, t.token); },
        asio::use_awaitable);
  }
  if (ok) {
    throttle.succeeded(client);
  } else if (throttle.failed(client, SteadyClock::now())) {
    log_warn("login failed from {}: its next logins wait, longer after each failure (up to {} s), until one passes",
             peer.to_string(), std::chrono::duration_cast<std::chrono::seconds>(LoginThrottle::kMaxDelay).count());
  }
  co_return ok ? Verdict::kAllow : otherwise;
}

Response Server::Impl::unauthorized(const Request& req) const {
  Response res = error_response(http::status::unauthorized, "authentication required", req);
  for (const auto& c : opts.auth->challenges()) res.insert(http::field::www_authenticate, c);
  return res;
}

// Answers one request; false when the connection must close afterwards.
template <class S>
asio::awaitable<bool> Server::Impl::handle(std::shared_ptr<Conn<S>> conn, const Request& req) {
  const Target t = parse_target(req.target());
  Response res;
  std::shared_ptr<Hub> hub;
  std::string_view leaf;
  if (t.ok && t.path.size() > 1) {
    const auto slash = t.path.find('/', 1);
    if (slash != std::string::npos) {
      auto it = by_name.find(std::string_view(t.path).substr(1, slash - 1));
      if (it != by_name.end()) hub = it->second;
      leaf = std::string_view(t.path).substr(slash + 1);
    }
  }
  const bool is_stream = hub && leaf == "stream.mjpg";
  const bool is_snapshot = hub && leaf == "snapshot.jpg";
  const bool is_fmp4 = hub && leaf == "stream.mp4";
  const bool is_websocket = hub && leaf == "stream.ws";
  const HlsLeaf hls_target = hub ? hls_leaf(leaf) : HlsLeaf{};
  const bool is_hls = hls_target.kind != HlsLeaf::kNone;
  const bool known = t.ok && (t.path == "/" || t.path == "/healthz" || t.path == "/metrics" || is_stream ||
                              is_snapshot || is_fmp4 || is_websocket || is_hls);
  const bool method_ok = req.method() == http::verb::get || req.method() == http::verb::head;
  if (!t.ok) {
    res = error_response(http::status::bad_request, "bad request target", req);
    res.keep_alive(false);
  } else if (const auto v = co_await authorized(*conn, req, t); v != Verdict::kAllow) {  // before 404: names private
    switch (v) {
      case Verdict::kDeny: res = unauthorized(req); break;
      case Verdict::kExpired: res = error_response(http::status::gone, "this signed link has expired", req); break;
      case Verdict::kForbidden:
        res = error_response(http::status::forbidden, "a valid signed link (or credentials) is needed", req);
        break;
      default: res = error_response(http::status::too_many_requests, "too many failed logins", req);
    }
  } else if (!known) {
    res = error_response(http::status::not_found, "not found", req);
  } else if (!method_ok) {
    res = error_response(http::status::method_not_allowed, "only GET and HEAD", req);
    res.set(http::field::allow, "GET, HEAD");
  } else if (is_websocket && !websocket::is_upgrade(req)) {
    res = error_response(http::status::upgrade_required, "a WebSocket endpoint: open it with a WebSocket client", req);
    res.set(http::field::upgrade, "websocket");
  } else if (is_websocket && !origin_allowed(field_text(req[http::field::origin]), field_text(req[http::field::host]),
                                             kIsTls<S>, opts.allow_origins)) {
    log_info("WebSocket for /{}/ refused: page of another origin ({})", hub->name(),
             field_text(req[http::field::origin]));
    res = error_response(http::status::forbidden, "this origin may not open the stream (see --allow-origin)", req);
  } else if ((is_fmp4 || is_hls) && !hub->media()->unsupported().empty()) {
    // A WebSocket is accepted and closed with 1003 and the reason instead: a
    // page can tell that from a failed connection and fall back to MJPEG.
    res = error_response(http::status::unsupported_media_type, hub->media()->unsupported(), req);
  } else if (is_stream || is_fmp4 || is_websocket) {
    if (stream_viewers.fetch_add(1) >= opts.max_clients) {
      stream_viewers.fetch_sub(1);
      res = error_response(http::status::service_unavailable, "too many viewers", req);
      res.keep_alive(false);
    } else {
      const bool head = req.method() == http::verb::head;
      if (is_stream) {
        co_await stream(conn, *hub, t.fps, head);
      } else if (is_fmp4) {
        co_await fmp4_stream(conn, *hub, t.audio, head);
      } else {
        co_await websocket_stream(conn, *hub, t.audio, req);
      }
      stream_viewers.fetch_sub(1);
      co_return false;
    }
  } else if (is_snapshot) {
    res = co_await snapshot(conn, *hub, req);
  } else if (is_hls) {
    res = co_await hls(conn, *hub, req, t, hls_target);
  } else if (t.path == "/") {
    // A page opened with a valid ?token= passes it on to its <img> and links.
    const bool pass_token = opts.auth && !t.token.empty() && opts.auth->allows({}, t.token);
    res = text_response(http::status::ok, index_html(views(), pass_token ? t.token : std::string()),
                        "text/html; charset=utf-8", req);
  } else if (t.path == "/healthz") {
    res = text_response(http::status::ok, healthz_json(views()), "application/json", req);
  } else {
    res = text_response(http::status::ok, metrics_text(views()), "text/plain; version=0.0.4; charset=utf-8", req);
  }
  conn->tcp().expires_after(kWriteTimeout);
  auto [ec, n] = co_await http::async_write(conn->stream, res, kNoThrow);
  co_return !ec && res.keep_alive() && !stopping;
}

template <class S>
asio::awaitable<void> Server::Impl::session(std::shared_ptr<Conn<S>> conn) {
  std::list<std::function<void()>>::iterator reg;
  {
    std::lock_guard lock(conns_mu);
    reg = conns.insert(conns.end(), closer(conn));
  }
  bool open = !stopping;
  if constexpr (kIsTls<S>) {  // the handshake has the request header's time limit (slowloris)
    conn->tcp().expires_after(kHeaderTimeout);
    auto [ec] = co_await conn->stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (ec) log_debug("TLS handshake: {}", ec.message());
    open = open && !ec;
  }
  beast::flat_buffer buffer(kHeaderLimit);
  for (bool again = open; again;) {  // one turn per request on a keep-alive connection
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kHeaderLimit);
    conn->tcp().expires_after(kHeaderTimeout);
    auto [ec, n] = co_await http::async_read(conn->stream, buffer, parser, kNoThrow);
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == ssl::error::stream_truncated || stopping) {
      break;
    }
    if (ec) {  // malformed, oversized, or with a body: answer 400 and close
      http::request<http::empty_body> dummy;
      Response res = error_response(http::status::bad_request, "bad request: " + ec.message(), dummy);
      res.keep_alive(false);
      conn->tcp().expires_after(5s);
      co_await http::async_write(conn->stream, res, kNoThrow);
      break;
    }
    again = co_await handle(conn, parser.get());
  }
  if constexpr (kIsTls<S>) {
    if (open && !stopping) {  // close_notify, so that the client sees a clean end
      conn->tcp().expires_after(kCloseTimeout);
      co_await conn->stream.async_shutdown(kNoThrow);
    }
  }
  beast::error_code ignored;
  conn->tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
  conn->tcp().close();
  std::lock_guard lock(conns_mu);
  conns.erase(reg);
}

Server::Server(const Options& o, std::vector<std::shared_ptr<Hub>> hubs)
    : impl_(std::make_unique<Impl>(o, std::move(hubs))) {}

Server::~Server() = default;

Result<std::string> Server::listen() {
  const ListenAddress& a = impl_->opts.address;
  beast::error_code ec;
  const auto addr = asio::ip::make_address(a.host, ec);
  if (ec) return fail(ExitCode::kUsage, "--listen: '" + a.host + "' is not an IP address");
  const tcp::endpoint ep(addr, static_cast<unsigned short>(a.port));
  auto& acc = impl_->acceptor;
  const std::string where = addr.is_v6() ? fmt::format("[{}]:{}", a.host, a.port) : fmt::format("{}:{}", a.host, a.port);
  if (acc.open(ep.protocol(), ec); !ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ExitCode::kFailure, "cannot listen on " + where, ec.message());
  const auto port = acc.local_endpoint(ec).port();
  const char* scheme = impl_->tls ? "https" : "http";
  return addr.is_v6() ? fmt::format("{}://[{}]:{}/", scheme, addr.to_string(), port)
                      : fmt::format("{}://{}:{}/", scheme, addr.to_string(), port);
}

void Server::run() {
  auto& im = *impl_;
  asio::co_spawn(im.ioc, im.accept_loop(), asio::detached);
  asio::co_spawn(im.ioc, im.watch_stop(), asio::detached);
  // Two threads: sessions are strands, so one slow handler never blocks the rest.
  std::thread second([&im] { im.ioc.run(); });
  std::thread guard([&im] {
    // Shutdown is bounded: connections get 3 s to close before the loop stops.
    while (!im.stopping && !im.ioc.stopped()) std::this_thread::sleep_for(50ms);
    for (int i = 0; i < 60 && !im.ioc.stopped(); ++i) std::this_thread::sleep_for(50ms);
    im.ioc.stop();
  });
  im.ioc.run();
  second.join();
  guard.join();
}

}  // namespace cctv::mjpeg
