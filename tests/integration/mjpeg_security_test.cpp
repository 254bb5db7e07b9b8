// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's security as a user meets it: Basic and bearer auth, HTTPS; curl as the client, ffprobe for pictures.
#define BOOST_TEST_MODULE mjpeg_security_integration
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include "mjpeg_client.hpp"
#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kSource = "lavfi:testsrc2=size=320x240:rate=10";
const std::string kPassword = "correct horse battery";
const std::string kToken = "5f1c0e7a9b3d4c2e8f6a1b0c9d8e7f6a";
const std::string kBoundary = "--cctvframe\r\n";

// Runs a command that must succeed (openssl making the test's files).
std::string must(const std::vector<std::string>& argv) {
  const RunResult r = run_tool(argv, 30s);
  if (r.exit_code != 0) throw std::runtime_error(argv[0] + " failed: " + r.err);
  return r.out;
}

// The auth files and a self-signed certificate for 127.0.0.1, made with the openssl CLI.
struct Files {
  Files() {
    const std::string hash = must({"openssl", "passwd", "-6", kPassword});
    write_file(users(), "# made with openssl passwd -6\nalice:" + hash);
    write_file(tokens(), "# the hall screen\n" + kToken + "\n");
    for (const char* name : {"key.pem", "other-key.pem"}) {
      must({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
            (dir.path() / name).string()});
    }
    must({"openssl", "req", "-x509", "-key", key().string(), "-out", cert().string(), "-days", "2", "-subj",
          "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  }
  fs::path users() const { return dir.path() / "users"; }
  fs::path tokens() const { return dir.path() / "tokens"; }
  fs::path cert() const { return dir.path() / "cert.pem"; }
  fs::path key() const { return dir.path() / "key.pem"; }
  fs::path other_key() const { return dir.path() / "other-key.pem"; }
  TempDir dir;
};

Files& files() {
  static Files f;
  return f;
}

// cctv-mjpeg-serve on the test source, with -vv so that its log can be
// searched for secrets.
class Server : public MjpegServer {
 public:
  explicit Server(std::vector<std::string> args) : MjpegServer(with_source(std::move(args))) {}

 private:
  static std::vector<std::string> with_source(std::vector<std::string> args) {
    args.insert(args.begin(), {"-vv", "--always-on"});
    args.push_back(kSource);
    return args;
  }
};

// Both auth methods on, plain HTTP.
Server& auth_server() {
  static Server s({"--basic-auth-file", files().users().string(), "--token-file", files().tokens().string()});
  return s;
}

// The complete multipart parts in `body` that hold a JPEG.
int jpeg_parts(const std::string& body) {
  int n = 0;
  for (std::size_t pos = body.find(kBoundary); pos != std::string::npos; pos = body.find(kBoundary, pos + 1)) {
    const std::size_t head_end = body.find("\r\n\r\n", pos);
    const std::size_t len_at = body.find("Content-Length: ", pos);
    if (head_end == std::string::npos || len_at == std::string::npos || len_at > head_end) break;
    const std::size_t len = std::stoul(body.substr(len_at + 16));
    if (head_end + 4 + len > body.size()) break;
    n += is_jpeg(std::string_view(body).substr(head_end + 4, len)) ? 1 : 0;
  }
  return n;
}

// Streams `urls` at once for `seconds` through curl (one shell forks them
// all); returns per URL the HTTP status and the JPEG parts received.
std::vector<std::pair<int, int>> watch_all(const std::vector<std::vector<std::string>>& requests, double seconds) {
  TempDir tmp;
  std::string script;
  std::vector<std::string> argv{"bash", "-c", "", "bash"};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    script += "curl -s -N --max-time " + std::to_string(seconds) + " -o " + (tmp.path() / std::to_string(i)).string() +
              " -w '%{http_code}' ";
    for (const auto& a : requests[i]) {
      argv.push_back(a);
      script += "\"${" + std::to_string(argv.size() - 4) + "}\" ";
    }
    script += "> " + (tmp.path() / (std::to_string(i) + ".code")).string() + " & ";
  }
  argv[2] = script + "wait";
  const RunResult r = run_tool(argv, std::chrono::milliseconds(static_cast<long>(seconds * 1000)) + 20s);
  BOOST_TEST(!r.timed_out);
  std::vector<std::pair<int, int>> out;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string code = slurp(tmp.path() / (std::to_string(i) + ".code"));
    out.emplace_back(code.empty() ? -1 : std::stoi(code), jpeg_parts(slurp(tmp.path() / std::to_string(i))));
  }
  return out;
}

std::vector<std::string> with_basic(const std::string& password = kPassword) { return {"-u", "alice:" + password}; }
std::vector<std::string> with_bearer(const std::string& token = kToken) {
  return {"-H", "Authorization: Bearer " + token};
}

// curl options that make a request come from 127.0.0.N: the server slows
// down failed logins per client address, and each test that fails logins on
// purpose uses addresses of its own (all of 127.0.0.0/8 is loopback).
std::vector<std::string> from(int n) { return {"--interface", "127.0.0." + std::to_string(n)}; }

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Standard base64 (for an Authorization header curl's -u cannot make).
std::string base64(std::string_view in) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, in.size() - i);
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 3; ++j) v = v << 8 | (j < n ? static_cast<unsigned char>(in[i + j]) : 0u);
    for (std::size_t j = 0; j < 4; ++j) out += j <= n ? kDigits[(v >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

struct Timed {
  int status = 0;
  double seconds = 0;  // curl's own time_total: from its start to the end of the answer
};

// Sends the `requests` (curl options and URL each) all at once, one curl each.
std::vector<Timed> send_all(const std::vector<std::vector<std::string>>& requests) {
  TempDir tmp;
  std::string script;
  std::vector<std::string> argv{"bash", "-c", "", "bash"};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    script += "curl -s -o /dev/null -w '%{http_code} %{time_total}' ";
    for (const auto& a : requests[i]) {
      argv.push_back(a);
      script += "\"${" + std::to_string(argv.size() - 4) + "}\" ";
    }
    script += "> " + (tmp.path() / std::to_string(i)).string() + " & ";
  }
  argv[2] = script + "wait";
  const RunResult r = run_tool(argv, 60s);
  BOOST_TEST(!r.timed_out);
  std::vector<Timed> out;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    std::istringstream in(slurp(tmp.path() / std::to_string(i)));
    Timed t;
    in >> t.status >> t.seconds;
    out.push_back(t);
  }
  return out;
}

// The lines of `log` that hold `text`.
int lines_with(const std::string& log, const std::string& text) {
  std::istringstream in(log);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(text) != std::string::npos ? 1 : 0;
  return n;
}

// The lines of `p`'s stderr that hold `text`, once there are `n` of them or
// after `limit` (stderr is read in the background, so a line just written
// may not have arrived yet).
int log_lines(const Process& p, const std::string& text, int n, std::chrono::milliseconds limit = 30s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  int got = lines_with(p.stderr_text(), text);
  while (got < n && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
    got = lines_with(p.stderr_text(), text);
  }
  return got;
}

// cctv-mjpeg-serve -vv on the test source under `ulimit` (e.g. "-n 100":
// soft and hard, "-S -n 100": soft only), with `args`.
class LimitedServer {
 public:
  LimitedServer(const std::string& ulimit, std::vector<std::string> args) {
    std::vector<std::string> argv{"bash", "-c", "ulimit " + ulimit + " && exec \"$0\" \"$@\"",
                                  (bin_dir() / "cctv-mjpeg-serve").string(), "-vv", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(kSource);
    process.start(argv);
    auto line = process.read_line(30s);  // a deadline for a loaded machine, not an expectation
    if (!line) throw std::runtime_error("server did not start: " + process.stderr_text());
    url = *line;
  }
  ~LimitedServer() {
    process.signal(SIGTERM);
    if (!process.wait(10s)) process.kill();
  }
  LimitedServer(const LimitedServer&) = delete;
  LimitedServer& operator=(const LimitedServer&) = delete;

  Process process;
  std::string url;
};

// True when the server closes `fd` within `limit`.
bool closed_within(int fd, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    if (::read(fd, buf, sizeof buf) <= 0) return true;
  }
  return false;
}

std::string probe_jpeg(const std::string& bytes) {
  TempDir tmp;
  write_file(tmp.path() / "s.jpg", bytes);
  const RunResult p = run_tool({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of",
                                "csv=p=0", (tmp.path() / "s.jpg").string()});
  return p.exit_code == 0 ? p.out.substr(0, p.out.find('\n')) : "ffprobe failed: " + p.err;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mjpeg_security)

BOOST_AUTO_TEST_CASE(without_credentials_every_endpoint_but_healthz_answers_401_with_both_challenges) {
  Server& s = auth_server();
  for (const char* path : {"/", "/cam/snapshot.jpg", "/cam/stream.mjpg", "/metrics", "/nope", "/nope/stream.mjpg"}) {
    const Reply r = get(s.at(path));
    BOOST_TEST(r.status == 401, path);
    BOOST_TEST(r.headers.find("WWW-Authenticate: Basic realm=\"cctv-mjpeg-serve\"") != std::string::npos, r.headers);
    BOOST_TEST(r.headers.find("WWW-Authenticate: Bearer realm=\"cctv-mjpeg-serve\"") != std::string::npos, r.headers);
    BOOST_TEST(r.body.find("cam") == std::string::npos, path);  // nothing about the cameras
  }
  const Reply h = get(s.at("/healthz"));
  BOOST_TEST(h.status == 200);
  BOOST_TEST(h.body.find("\"cameras\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(basic_bearer_and_query_token_each_open_every_endpoint) {
  Server& s = auth_server();
  const std::string q = "?token=" + kToken;
  for (const auto& [how, extra, query] : std::vector<std::tuple<std::string, std::vector<std::string>, std::string>>{
           {"basic", with_basic(), ""}, {"bearer", with_bearer(), ""}, {"query", {}, q}}) {
    const Reply page = get(s.at("/" + query), extra);
    BOOST_TEST(page.status == 200, how);
    BOOST_TEST(page.body.find("<img src=\"/cam/stream.mjpg") != std::string::npos, how);
    const Reply snap = get(s.at("/cam/snapshot.jpg" + query), extra);
    BOOST_TEST(snap.status == 200, how);
    BOOST_TEST(probe_jpeg(snap.body) == "mjpeg,320,240", how);
    const Reply metrics = get(s.at("/metrics" + query), extra);
    BOOST_TEST(metrics.status == 200, how);
    BOOST_TEST(metrics.body.find("cctv_frames_in_total{camera=\"cam\"}") != std::string::npos, how);
    BOOST_TEST(get(s.at("/healthz" + query), extra).status == 200, how);
    BOOST_TEST(get(s.at("/nope" + query), extra).status == 404, how);  // past auth, routing as usual
  }
  std::vector<std::string> basic = with_basic(), bearer = with_bearer();
  basic.push_back(s.at("/cam/stream.mjpg"));
  bearer.push_back(s.at("/cam/stream.mjpg"));
  const auto streams = watch_all({basic, bearer, {s.at("/cam/stream.mjpg" + q + "&fps=5")}}, 2.5);
  for (const auto& [status, parts] : streams) {
    BOOST_TEST(status == 200);
    BOOST_TEST(parts >= 3);
  }
}

BOOST_AUTO_TEST_CASE(wrong_password_user_or_token_gets_401) {
  Server& s = auth_server();
  int client = 10;  // each attempt from an address of its own, so that none waits for a turn
  for (const auto& extra : std::vector<std::vector<std::string>>{
           with_basic("correct horse"), with_basic(""), {"-u", "mallory:" + kPassword}, with_bearer(kToken + "0"),
           with_bearer(kToken.substr(1)), {"-H", "Authorization: Basic " + kToken}}) {
    BOOST_TEST(get(s.at("/cam/snapshot.jpg"), extra + from(client++)).status == 401, extra.back());
  }
  BOOST_TEST(get(s.at("/cam/snapshot.jpg?token=" + kToken.substr(0, 31)), from(client++)).status == 401);
  BOOST_TEST(get(s.at("/?token=nope"), from(client++)).status == 401);
}

// Regression: crypt(3) stopped at a NUL, so "password\0junk" passed.
BOOST_AUTO_TEST_CASE(password_with_an_embedded_nul_gets_401) {
  Server& s = auth_server();
  const auto basic = [](const std::string& credentials) {
    return std::vector<std::string>{"-H", "Authorization: Basic " + base64(credentials)};
  };
  using namespace std::string_literals;
  BOOST_TEST(get(s.at("/metrics"), basic("alice:" + kPassword + "\0junk"s) + from(20)).status == 401);
  BOOST_TEST(get(s.at("/metrics"), basic("alice:" + kPassword + "\0"s) + from(21)).status == 401);
  BOOST_TEST(get(s.at("/metrics"), basic("alice\0:"s + kPassword) + from(22)).status == 401);
  BOOST_TEST(get(s.at("/metrics"), basic("alice:" + kPassword) + from(23)).status == 200);  // the same, without
}

// Lower bounds only: a loaded machine may answer later, never earlier.
BOOST_AUTO_TEST_CASE(failed_logins_from_one_address_are_answered_slower_without_holding_up_others) {
  Server& s = auth_server();
  const std::string url = s.at("/cam/snapshot.jpg");
  const auto mallory = from(31);
  std::vector<double> took;
  for (int i = 0; i < 4; ++i) {  // turns 100, 200 and 400 ms apart
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(get(url, with_basic("guess" + std::to_string(i)) + mallory).status == 401);
    took.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  BOOST_TEST(took[2] >= 0.1, "3rd guess answered after " << took[2] << " s");
  BOOST_TEST(took[3] >= 0.2, "4th guess answered after " << took[3] << " s");
  // Her 5th guess waits 800 ms for its turn; meanwhile another client logs in.
  const std::vector<std::string> at{url};
  const auto both = send_all({with_basic("guess4") + mallory + at, with_basic() + from(32) + at});
  BOOST_TEST(both[0].status == 401);
  BOOST_TEST(both[0].seconds >= 0.4, "5th guess answered after " << both[0].seconds << " s");
  BOOST_TEST(both[1].status == 200);
  // Logged once when the throttling began, not per failure.
  BOOST_TEST(log_lines(s.process, "login failed from 127.0.0.31:", 1) == 1, s.process.stderr_text());
}

BOOST_AUTO_TEST_CASE(parallel_guesses_from_one_address_take_turns) {
  Server& s = auth_server();
  const std::string url = s.at("/metrics");
  const auto guess = [&](int i) { return with_basic("guess" + std::to_string(i)) + from(34); };
  BOOST_TEST(get(url, guess(0)).status == 401);
  // Their turns come 100, 200, 400 and 800 ms apart, one after the other: the
  // last one is answered 1.5 s after the first failure. A delay per connection
  // would answer all four after 100 ms.
  double slowest = 0;
  const std::vector<std::string> at{url};
  for (const auto& t : send_all({guess(1) + at, guess(2) + at, guess(3) + at, guess(4) + at})) {
    BOOST_TEST(t.status == 401);
    slowest = std::max(slowest, t.seconds);
  }
  BOOST_TEST(slowest >= 1.0, "the last parallel guess answered after " << slowest << " s");
}

BOOST_AUTO_TEST_CASE(a_successful_login_ends_the_slow_down_of_its_address) {
  Server& s = auth_server();
  const auto client = from(33);
  const std::string url = s.at("/metrics");
  BOOST_TEST(get(url, with_basic("typo") + client).status == 401);
  BOOST_TEST(get(url, with_basic("typo again") + client).status == 401);
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(get(url, with_basic() + client).status == 200);  // waits its turn (200 ms), then passes
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(took >= 0.1, "the login after two failures answered after " << took << " s");
  // Forgotten: the next failure begins a new throttling, logged anew.
  BOOST_TEST(get(url, with_basic("typo") + client).status == 401);
  BOOST_TEST(log_lines(s.process, "login failed from 127.0.0.33:", 2) == 2, s.process.stderr_text());
}

BOOST_AUTO_TEST_CASE(page_opened_with_a_token_passes_it_to_its_images_and_links) {
  Server& s = auth_server();
  const Reply with = get(s.at("/?token=" + kToken));
  BOOST_TEST(with.body.find("src=\"/cam/stream.mjpg?token=" + kToken + "\"") != std::string::npos, with.body);
  BOOST_TEST(with.body.find("href=\"/cam/snapshot.jpg?token=" + kToken + "\"") != std::string::npos);
  const Reply basic = get(s.at("/"), with_basic());
  BOOST_TEST(basic.body.find("token=") == std::string::npos);  // a Basic login has no token to pass on
}

BOOST_AUTO_TEST_CASE(passwords_and_tokens_never_reach_the_log) {
  Server& s = auth_server();
  BOOST_TEST(get(s.at("/cam/snapshot.jpg?token=" + kToken)).status == 200);
  BOOST_TEST(get(s.at("/metrics"), with_basic()).status == 200);
  BOOST_TEST(get(s.at("/metrics"), with_basic("a-wrong-password")).status == 401);
  const std::string log = s.process.stderr_text();
  BOOST_TEST(!log.empty());  // -vv logs something, so the search below means something
  for (const std::string& secret : {kToken, kPassword, std::string("a-wrong-password")}) {
    BOOST_TEST(log.find(secret) == std::string::npos, secret);
  }
}

BOOST_AUTO_TEST_CASE(https_serves_a_valid_snapshot_and_stream_with_a_self_signed_certificate) {
  Server s({"--tls-cert", files().cert().string(), "--tls-key", files().key().string(), "--basic-auth-file",
            files().users().string()});
  BOOST_TEST(s.url.rfind("https://127.0.0.1:", 0) == 0u, s.url);
  // Slowloris: a client that connects and never starts the handshake is dropped
  // after the header timeout (10 s); it is checked at the end.
  const int idle = connect_to(s.port());
  const auto idle_since = std::chrono::steady_clock::now();
  const std::vector<std::string> tls{"--cacert", files().cert().string()};
  std::vector<std::string> auth = tls;
  auth.insert(auth.end(), {"-u", "alice:" + kPassword});
  const Reply snap = get(s.at("/cam/snapshot.jpg"), auth);
  BOOST_TEST(snap.status == 200);
  BOOST_TEST(probe_jpeg(snap.body) == "mjpeg,320,240");
  BOOST_TEST(get(s.at("/cam/snapshot.jpg"), tls).status == 401);
  BOOST_TEST(get(s.at("/healthz"), tls).status == 200);
  auth.push_back(s.at("/cam/stream.mjpg"));
  const auto streams = watch_all({auth}, 2.0);
  BOOST_TEST(streams[0].first == 200);
  BOOST_TEST(streams[0].second >= 2);
  // Without the CA, curl refuses the self-signed certificate: it is really TLS.
  BOOST_TEST(get(s.at("/healthz")).status == 0);
  // Plain HTTP to the TLS port gets no page.
  std::string plain = "http" + s.url.substr(5) + "healthz";
  const Reply p = get(plain);
  BOOST_TEST(p.status == 0);
  BOOST_TEST(p.body.find("cameras") == std::string::npos);
  BOOST_TEST(closed_within(idle, 20s));
  ::close(idle);
  const double idle_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_since).count();
  BOOST_TEST(idle_s >= 9.0);
}

BOOST_AUTO_TEST_CASE(signed_links_open_one_camera_until_they_expire) {
  TempDir tmp;
  const std::string key = "0123456789abcdef0123456789abcdef";  // 32 bytes
  const std::string key_file = (tmp.path() / "url.key").string();
  write_file(key_file, key + "\n");
  MjpegServer s({"-vv", "--url-key-file", key_file, "--camera", "front=" + kSource, "--camera", "yard=" + kSource});
  // A link from --sign opens its endpoint, and its query opens every endpoint of that camera.
  const RunResult made = run_tool({(bin_dir() / "cctv-mjpeg-serve").string(), "--url-key-file", key_file, "--sign",
                                   "/front/snapshot.jpg", "--expires", "10m"});
  BOOST_REQUIRE_EQUAL(made.exit_code, 0);
  const std::string link = made.out.substr(0, made.out.find('\n'));
  BOOST_REQUIRE(link.rfind("/front/snapshot.jpg?exp=", 0) == 0);
  const Reply snap = get(s.at(link));
  BOOST_TEST(snap.status == 200);
  BOOST_TEST(probe_jpeg(snap.body) == "mjpeg,320,240");
  const std::string query = link.substr(link.find('?'));
  const Reply stream = get(s.at("/front/stream.mjpg" + query), {"--max-time", "2"});
  BOOST_TEST(stream.status == 200);
  BOOST_TEST(stream.type.find("multipart/x-mixed-replace") != std::string::npos);
  // Not another camera, not the page, not without a link; /healthz stays open.
  BOOST_TEST(get(s.at("/yard/snapshot.jpg" + query)).status == 403);
  BOOST_TEST(get(s.at("/" + query)).status == 403);
  BOOST_TEST(get(s.at("/front/snapshot.jpg")).status == 403);
  BOOST_TEST(get(s.at("/healthz")).status == 200);
  // One character of the signature changed: 403.
  std::string tampered = link;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  BOOST_TEST(get(s.at(tampered)).status == 403);
  // Signed by openssl, as a backend would: accepted while valid, 410 once expired.
  const auto openssl_link = [&](long long expires) {
    const RunResult sig = run_tool({"sh", "-c",
                                    "printf '%s:/front/' \"$1\" | openssl dgst -sha256 -hmac \"$2\" -binary | "
                                    "basenc --base64url | tr -d '='",
                                    "sh", std::to_string(expires), key});
    BOOST_REQUIRE_EQUAL(sig.exit_code, 0);
    return "/front/snapshot.jpg?exp=" + std::to_string(expires) + "&sig=" + sig.out.substr(0, sig.out.find('\n'));
  };
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  BOOST_TEST(get(s.at(openssl_link(now + 600))).status == 200);
  const Reply expired = get(s.at(openssl_link(now - 10)));
  BOOST_TEST(expired.status == 410);
  BOOST_TEST(expired.body == "this signed link has expired\n");
  // The signature never reaches the log, even at -vv.
  const std::string sig = link.substr(link.find("sig=") + 4);
  BOOST_TEST(s.process.stderr_text().find(sig) == std::string::npos);
  // A short key is refused at start.
  write_file(key_file, "short\n");
  const RunResult bad = run_tool({(bin_dir() / "cctv-mjpeg-serve").string(), "--url-key-file", key_file, kSource});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("at least 32") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_CASE(max_clients_is_what_the_descriptor_limit_leaves_room_for) {
  rlimit own{};
  BOOST_TEST_REQUIRE(getrlimit(RLIMIT_NOFILE, &own) == 0);
  if (own.rlim_max != RLIM_INFINITY && own.rlim_max > 200) {  // the soft limit is raised to the hard one
    LimitedServer raised("-S -n 100", {});
    const std::string line = "at most " + std::to_string(own.rlim_max - 64 - 8) + " stream viewer(s)";
    BOOST_TEST(log_lines(raised.process, line, 1) == 1, raised.process.stderr_text());
    BOOST_TEST(raised.process.stderr_text().find("--max-clients") == std::string::npos);
  }
  // 73 descriptors less 64 and 8 for the camera: room for one viewer. A larger
  // --max-clients is lowered to it, with one warning.
  LimitedServer s("-n 73", {"--max-clients", "5"});
  BOOST_TEST(log_lines(s.process, "--max-clients 5:", 1) == 1, s.process.stderr_text());
  BOOST_TEST(s.process.stderr_text().find("serving 1") != std::string::npos, s.process.stderr_text());
  const auto streams = watch_all({{s.url + "cam/stream.mjpg"}, {s.url + "cam/stream.mjpg"}}, 2.0);
  std::multiset<int> statuses{streams[0].first, streams[1].first};
  BOOST_TEST((statuses == std::multiset<int>{200, 503}));
  BOOST_TEST(lines_with(s.process.stderr_text(), "--max-clients") == 1);
}

BOOST_AUTO_TEST_CASE(bad_security_files_exit_2_with_one_line) {
  Files& f = files();
  write_file(f.dir.path() / "plain-users", "alice:" + kPassword + "\n");
  write_file(f.dir.path() / "md5-users", "alice:" + must({"openssl", "passwd", "-1", kPassword}));
  write_file(f.dir.path() / "short-tokens", "abc\n");
  const std::string d = f.dir.path().string();
  for (const auto& [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--basic-auth-file", d + "/plain-users"}, "not a supported password hash"},
           {{"--basic-auth-file", d + "/md5-users"}, "not a supported password hash"},
           {{"--basic-auth-file", d + "/missing"}, "cannot read"},
           {{"--token-file", d + "/short-tokens"}, "at least 16 characters"},
           {{"--tls-cert", f.cert().string()}, "--tls-key"},
           {{"--tls-key", f.key().string()}, "--tls-cert"},
           {{"--tls-cert", f.cert().string(), "--tls-key", f.other_key().string()}, "does not belong"},
           {{"--tls-cert", d + "/missing.pem", "--tls-key", f.key().string()}, "cannot read"},
           {{"--tls-cert", f.key().string(), "--tls-key", f.key().string()}, "not a PEM certificate"},
           {{"--tls-cert", f.cert().string(), "--tls-key", f.cert().string()}, "not an unencrypted PEM private key"}}) {
    std::vector<std::string> argv{"cctv-mjpeg-serve", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(kSource);
    const RunResult r = run_tool(argv, 10s);
    BOOST_TEST(r.exit_code == 2, args[0] << ": " << r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    BOOST_TEST(r.err.find(says) != std::string::npos, r.err);
    BOOST_TEST(r.err.find(kPassword) == std::string::npos, r.err);
    BOOST_TEST(r.out.empty());  // it never started serving
  }
}

BOOST_AUTO_TEST_SUITE_END()
