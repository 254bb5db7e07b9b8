// SPDX-License-Identifier: MIT
// Tests for http_post() and SoapClient over real TCP on 127.0.0.1: deadlines, refusals, Digest.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "http.hpp"
#include "soap.hpp"

using namespace cctv;
using namespace cctv::discover;

namespace {

// A listening socket on 127.0.0.1 that serves one scripted answer per
// connection (or none: silence), and records the requests it read.
class Server {
 public:
  explicit Server(std::vector<std::string> answers) : answers_(std::move(answers)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(listen(fd_, 4) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Server() {
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/onvif/device_service"; }
  const std::vector<std::string>& requests() const { return requests_; }

 private:
  static std::string read_request(int c) {
    std::string in;
    char buf[4096];
    for (;;) {
      pollfd p{c, POLLIN, 0};
      if (poll(&p, 1, 2000) <= 0) return in;
      const ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) return in;
      in.append(buf, static_cast<size_t>(n));
      const size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      const size_t cl = in.find("Content-Length: ");
      const size_t body = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
      if (in.size() >= end + 4 + body) return in;
    }
  }
  void serve() {
    for (const std::string& answer : answers_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 3000) <= 0) return;
      const int c = accept(fd_, nullptr, nullptr);
      requests_.push_back(read_request(c));
      if (answer.empty()) {  // silence until the client gives up
        pollfd q{c, POLLIN, 0};
        poll(&q, 1, 3000);
      } else {
        (void)!write(c, answer.data(), answer.size());
      }
      close(c);
    }
  }
  std::vector<std::string> answers_;
  int fd_ = -1;
  int port_ = 0;
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::string response(int status, const std::string& headers, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

const char* const kInfo =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
    "<GetDeviceInformationResponse xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><Manufacturer>ACME</Manufacturer>"
    "</GetDeviceInformationResponse></s:Body></s:Envelope>";

}  // namespace

BOOST_AUTO_TEST_SUITE(discover_http)

BOOST_AUTO_TEST_CASE(parses_http_urls_only) {
  auto u = parse_http_url("http://10.0.0.5:8000/onvif/device_service?x=1");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->host == "10.0.0.5");
  BOOST_TEST(u->port == 8000);
  BOOST_TEST(u->target == "/onvif/device_service?x=1");
  auto v6 = parse_http_url("http://[fe80::1]/");
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->host == "fe80::1");
  BOOST_TEST(v6->port == 80);
  BOOST_TEST(!parse_http_url("https://10.0.0.5/").has_value());
  BOOST_TEST(!parse_http_url("rtsp://10.0.0.5/").has_value());
  BOOST_TEST(!parse_http_url("http:///x").has_value());
}

BOOST_AUTO_TEST_CASE(refused_connection_is_unreachable) {
  int port = 0;
  {
    Server s({});  // binds a port, serves nothing, and closes it
    port = std::stoi(s.url().substr(s.url().rfind(':') + 1));
  }
  auto r = http_post({"http://127.0.0.1:" + std::to_string(port) + "/", "text/plain", "", "x"},
                     std::chrono::milliseconds(2000));
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_int(r.error().code) == to_int(ExitCode::kUnreachable));
}

BOOST_AUTO_TEST_CASE(silent_server_times_out) {
  Server s({""});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = http_post({s.url(), "text/plain", "", "x"}, std::chrono::milliseconds(300));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_int(r.error().code) == to_int(ExitCode::kUnreachable));
  BOOST_TEST(r.error().timeout);
  BOOST_TEST((elapsed >= std::chrono::milliseconds(290)));
  BOOST_TEST((elapsed < std::chrono::milliseconds(1500)));
}

BOOST_AUTO_TEST_CASE(soap_client_answers_a_digest_challenge_over_tcp) {
  Server s({response(401, "WWW-Authenticate: Basic realm=\"cam\"\r\n"
                          "WWW-Authenticate: Digest realm=\"cam\", qop=\"auth\", nonce=\"abc\", opaque=\"o\"\r\n",
                     "<html>Unauthorized</html>"),
            response(200, "Content-Type: application/soap+xml\r\n", kInfo)});
  SoapClient soap([](const HttpRequest& r) { return http_post(r, std::chrono::milliseconds(2000)); },
                  Credentials{"admin", "s3cret"});
  auto r = soap.call(s.url(), "http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation",
                     "<tds:GetDeviceInformation/>");
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
  BOOST_TEST(!r->fault.has_value());
  BOOST_TEST(r->body.find(ns::kDevice, "Manufacturer").text() == "ACME");
  BOOST_REQUIRE_EQUAL(s.requests().size(), 2u);
  BOOST_TEST(s.requests()[0].find("Authorization:") == std::string::npos);
  const std::string& second = s.requests()[1];
  BOOST_TEST(second.find("Authorization: Digest username=\"admin\", realm=\"cam\", nonce=\"abc\", "
                         "uri=\"/onvif/device_service\"") != std::string::npos);
  BOOST_TEST(second.find("opaque=\"o\"") != std::string::npos);
  BOOST_TEST(second.find("action=\"http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation\"") !=
             std::string::npos);
  BOOST_TEST(second.find("s3cret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(html_401_without_credentials_is_an_auth_error) {
  Server s({response(401, "WWW-Authenticate: Digest realm=\"cam\", nonce=\"abc\"\r\n", "<html>401</html>")});
  SoapClient soap([](const HttpRequest& r) { return http_post(r, std::chrono::milliseconds(2000)); }, Credentials{});
  auto r = soap.call(s.url(), "http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation",
                     "<tds:GetDeviceInformation/>");
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_int(r.error().code) == to_int(ExitCode::kAuth));
  BOOST_TEST(r.error().message.find("--user") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(non_soap_answer_is_a_failure_with_its_status) {
  Server s({response(500, "", "<html><body>Internal error</body></html>")});
  SoapClient soap([](const HttpRequest& r) { return http_post(r, std::chrono::milliseconds(2000)); }, Credentials{});
  auto r = soap.call(s.url(), "http://www.onvif.org/ver10/device/wsdl/GetServices", "<tds:GetServices/>");
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_int(r.error().code) == to_int(ExitCode::kFailure));
  BOOST_TEST(r.error().message.find("HTTP 500") != std::string::npos, r.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
