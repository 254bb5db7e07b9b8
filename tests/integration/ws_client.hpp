// SPDX-License-Identifier: MIT
// A WebSocket viewer for the cctv-mjpeg-serve tests: Boost.Beast's client,
// each operation bounded by a deadline (beast::tcp_stream timeouts).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace cctv::test {

class WsClient {
 public:
  struct Message {
    bool text = false;
    std::string data;
    std::chrono::steady_clock::time_point at;  // when it was read
  };

  // Connects to 127.0.0.1:`port` and asks for the upgrade of `target`, with
  // `fields` added to the request (Origin, Authorization). status() is then
  // 101 on success, the server's answer otherwise (0: no answer).
  WsClient(int port, const std::string& target, std::vector<std::pair<std::string, std::string>> fields = {},
           std::chrono::milliseconds deadline = std::chrono::seconds(30))
      : ws_(ioc_) {
    namespace beast = boost::beast;
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    beast::get_lowest_layer(ws_).expires_after(deadline);
    beast::error_code ec;
    beast::get_lowest_layer(ws_).async_connect(ep, [&](beast::error_code e) { ec = e; });
    run();
    if (ec) return;
    ws_.set_option(beast::websocket::stream_base::decorator([fields](beast::websocket::request_type& req) {
      for (const auto& [k, v] : fields) req.set(k, v);
    }));
    beast::websocket::response_type res;
    beast::get_lowest_layer(ws_).expires_after(deadline);
    ws_.async_handshake(res, "127.0.0.1:" + std::to_string(port), target, [&](beast::error_code e) { ec = e; });
    run();
    status_ = res.result_int();
    open_ = !ec;
  }

  int status() const { return status_; }
  bool open() const { return open_; }

  // The next message, or nullopt when none came within `deadline` or the
  // connection ended (close_reason() then tells why, if the server said).
  std::optional<Message> read(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    namespace beast = boost::beast;
    if (!open_) return std::nullopt;
    beast::flat_buffer buffer;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).expires_after(deadline);
    ws_.async_read(buffer, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) {
      open_ = false;
      return std::nullopt;
    }
    return Message{ws_.got_text(), beast::buffers_to_string(buffer.data()), std::chrono::steady_clock::now()};
  }

  // Sends a text message (the server takes none: it closes the connection).
  void send(const std::string& text) {
    boost::beast::error_code ec;
    ws_.text(true);
    boost::beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    ws_.async_write(boost::asio::buffer(text), [&](boost::beast::error_code e, std::size_t) { ec = e; });
    run();
  }

  const boost::beast::websocket::close_reason& close_reason() const { return ws_.reason(); }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  int status_ = 0;
  bool open_ = false;
};

}  // namespace cctv::test
