// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's security as a user meets it: Basic and bearer auth, HTTPS; curl as the client, ffprobe for pictures.
#define BOOST_TEST_MODULE mjpeg_security_integration
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>

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
  for (const auto& extra : std::vector<std::vector<std::string>>{
           with_basic("correct horse"), with_basic(""), {"-u", "mallory:" + kPassword}, with_bearer(kToken + "0"),
           with_bearer(kToken.substr(1)), {"-H", "Authorization: Basic " + kToken}}) {
    BOOST_TEST(get(s.at("/cam/snapshot.jpg"), extra).status == 401, extra.back());
  }
  BOOST_TEST(get(s.at("/cam/snapshot.jpg?token=" + kToken.substr(0, 31))).status == 401);
  BOOST_TEST(get(s.at("/?token=nope")).status == 401);
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
