// SPDX-License-Identifier: MIT
// cctv-hls behind Debian's nginx with examples/nginx/cctv-hls-secure.conf (issue 13): HTTPS, links from
// examples/nginx/sign-hls-url, checked with curl and ffmpeg.
#define BOOST_TEST_MODULE hls_secure_integration
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <ctime>
#include <random>
#include <regex>
#include <sstream>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = fs::path(__FILE__).parent_path().parent_path().parent_path();
const fs::path kSignScript = kSource / "examples/nginx/sign-hls-url";

Camera& camera() {
  static Camera cam;
  return cam;
}

// 64 random hex digits, as `openssl rand -hex 32` makes them.
std::string random_secret() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 64; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

struct Reply {
  int status = 0;  // 0: no answer
  std::string version, type, body;
};

// What cctv-hls wrote into DIR/stream.m3u8, as a player reads it: the
// segment URIs and the key URIs (both relative to the playlist).
struct Listing {
  std::vector<std::string> segments, keys;
};

Listing parse_playlist(const std::string& text) {
  static const std::regex kKeyUri(R"(^#EXT-X-KEY:.*URI="([^"]+)\")");
  Listing l;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kKeyUri)) l.keys.push_back(m[1]);
    if (!line.empty() && line[0] != '#') l.segments.push_back(line);
  }
  return l;
}

// The secure block on 127.0.0.1 with a self-signed certificate and the
// test's secret and folders; two cameras written by cctv-hls with --encrypt:
// cam1 with --key-dir (keys in cctv-hls-keys/cam1), cam2 with its keys beside
// its playlist.
struct Site {
  TempDir tmp;
  fs::path hls = tmp.path() / "cctv-hls", keys = tmp.path() / "cctv-hls-keys";
  std::string secret = random_secret();
  fs::path secret_file = tmp.path() / "url.secret";
  int port = closed_port();
  std::string base = "https://127.0.0.1:" + std::to_string(port);
  Process cam1, cam2, nginx;

  Site() {
    for (const auto& d : {hls / "cam1", hls / "cam2", keys / "cam1"}) fs::create_directories(d);
    write_file(secret_file, secret + "\n");
    const RunResult cert = run_tool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                     "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("key.pem"), "-out",
                                     path("cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                                     "subjectAltName=IP:127.0.0.1"},
                                    30s);
    if (cert.exit_code != 0) throw std::runtime_error("openssl req: " + cert.err);
    write_file(tmp.path() / "server.conf", server_block());
    write_file(tmp.path() / "nginx.conf",
               "daemon off;\nmaster_process off;\npid " + path("nginx.pid") + ";\nerror_log " + path("error.log") +
                   ";\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path " + path("") +
                   ";\n  proxy_temp_path " + path("") + ";\n  fastcgi_temp_path " + path("") +
                   ";\n  uwsgi_temp_path " + path("") + ";\n  scgi_temp_path " + path("") + ";\n  include " +
                   path("server.conf") + ";\n}\n");
    const std::string url = camera().url("h264");
    cam1.start({"cctv-hls", "--segment-time", "1", "--encrypt", "--key-dir", (keys / "cam1").string(), "-o",
                (hls / "cam1").string(), url});
    cam2.start({"cctv-hls", "--segment-time", "1", "--encrypt", "-o", (hls / "cam2").string(), url});
    nginx.start({"/usr/sbin/nginx", "-e", path("error.log"), "-p", tmp.path().string(), "-c", path("nginx.conf")});
  }

  ~Site() {
    for (Process* p : {&cam1, &cam2, &nginx}) {
      p->signal(SIGTERM);
      if (!p->wait(15s)) p->kill();
    }
  }

  std::string path(const std::string& name) const { return (tmp.path() / name).string(); }

  // examples/nginx/cctv-hls-secure.conf with the test's port, certificate,
  // secret and folders: each placeholder must be there, once.
  std::string server_block() const {
    std::string block = slurp(kSource / "examples/nginx/cctv-hls-secure.conf");
    const auto replace = [&block](const std::string& from, const std::string& to) {
      if (count(block, from) != 1) throw std::runtime_error("not once in cctv-hls-secure.conf: " + from);
      block.replace(block.find(from), from.size(), to);
    };
    replace("listen 8443 ssl http2;", "listen 127.0.0.1:" + std::to_string(port) + " ssl http2;");
    replace("/etc/ssl/certs/cctv-hls.crt", path("cert.pem"));
    replace("/etc/ssl/private/cctv-hls.key", path("key.pem"));
    replace("REPLACE-WITH-YOUR-SECRET", secret);
    replace("root /run;", "root " + tmp.path().string() + ";");
    return block;
  }

  // GET over HTTPS (HTTP/2 when offered), the certificate checked against the test's own.
  Reply get(const std::string& url) const {
    const RunResult r = run_tool({"curl", "-s", "--http2", "--cacert", path("cert.pem"), "-w",
                                  "\n%{http_code} %{http_version} %{content_type}", url},
                                 20s);
    Reply reply;
    const auto nl = r.out.rfind('\n');
    if (nl == std::string::npos) return reply;
    reply.body = r.out.substr(0, nl);
    std::istringstream(r.out.substr(nl + 1)) >> reply.status >> reply.version >> reply.type;
    return reply;
  }

  // sign-hls-url's link for `name`; LIFETIME as the script takes it (1h, @UNIX_TIME).
  std::string sign(const std::string& name, const std::string& lifetime) const {
    const RunResult r = run_tool({"sh", kSignScript.string(), "-k", secret_file.string(), base, name, lifetime}, 20s);
    if (r.exit_code != 0 || r.out.empty()) throw std::runtime_error("sign-hls-url failed: " + r.err);
    BOOST_TEST(r.out.find(secret) == std::string::npos);
    BOOST_TEST(r.err.empty(), r.err);
    return r.out.substr(0, r.out.find('\n'));
  }

  // Waits until nginx serves `name`'s playlist with at least three segments
  // through a fresh signed link; returns the link, the playlist's listing.
  std::pair<std::string, Listing> ready(const std::string& name) const {
    const std::string url = sign(name, "1h");
    Listing l;
    poll_until(60s, [&] {
      const Reply r = get(url);
      l = parse_playlist(r.body);
      return r.status == 200 && l.segments.size() >= 3;
    }, 250ms);
    return {url, l};
  }
};

Site& site() {
  static Site s;
  return s;
}

// The link's folder: everything up to and including the camera name's slash.
std::string folder(const std::string& url) { return url.substr(0, url.rfind('/') + 1); }

}  // namespace

BOOST_AUTO_TEST_CASE(the_sign_script_reproduces_its_documented_test_vector) {
  TempDir tmp;
  write_file(tmp.path() / "secret", "0123456789abcdef0123456789abcdef\n");
  const std::string expected =
      "https://cam.example:8443/hls/UwHAE81QQ-rOdqFTIJZdFw/1767225600/cam3/stream.m3u8";
  const RunResult r = run_tool({"sh", kSignScript.string(), "-k", (tmp.path() / "secret").string(),
                                "https://cam.example:8443/", "cam3", "@1767225600"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == expected + "\n");
  BOOST_TEST(slurp(kSignScript).find(expected) != std::string::npos);
  // The same secret from the environment; bad input is a usage error.
  const EnvChanges env{{"CCTV_HLS_URL_SECRET_FILE", (tmp.path() / "secret").string()}};
  BOOST_TEST(run_tool({"sh", kSignScript.string(), "https://cam.example:8443", "cam3", "@1767225600"}, 20s, env).out ==
             expected + "\n");
  BOOST_TEST(run_tool({"sh", kSignScript.string(), "https://x", "../cam3", "1h"}, 20s, env).exit_code == 2);
  BOOST_TEST(run_tool({"sh", kSignScript.string(), "https://x", "cam3", "1x"}, 20s, env).exit_code == 2);
  BOOST_TEST(run_tool({"sh", kSignScript.string(), "https://x", "cam3", "1h"}, 20s, {{"CCTV_HLS_URL_SECRET_FILE", ""}})
                 .exit_code == 2);
}

BOOST_AUTO_TEST_CASE(a_signed_link_opens_the_playlist_every_segment_and_the_key_over_http2) {
  Site& s = site();
  for (const std::string name : {"cam1", "cam2"}) {
    const auto [url, listing] = s.ready(name);
    BOOST_REQUIRE_MESSAGE(listing.segments.size() >= 3,
                          name << ": no playlist with 3 segments within 60 s\n" << slurp(s.path("error.log")));
    BOOST_REQUIRE_MESSAGE(!listing.keys.empty(), name << ": the playlist names no key");
    const Reply playlist = s.get(url);
    BOOST_TEST(playlist.status == 200);
    BOOST_TEST(playlist.version == "2");
    BOOST_TEST(playlist.type == "application/vnd.apple.mpegurl");
    for (const auto& seg : listing.segments) {
      const Reply r = s.get(folder(url) + seg);
      BOOST_TEST(r.status == 200, name << "/" << seg);
      BOOST_TEST(r.type == "video/mp2t", name << "/" << seg);
      BOOST_TEST(r.body.size() > 1000, name << "/" << seg);
    }
    // cam1's keys come from the key folder, cam2's from beside its playlist.
    const fs::path key_folder = name == "cam1" ? s.keys / name : s.hls / name;
    for (const auto& key : listing.keys) {
      const Reply r = s.get(folder(url) + key);
      BOOST_TEST(r.status == 200, name << "/" << key);
      BOOST_TEST(r.body.size() == 16u, name << "/" << key);
      BOOST_TEST((r.body == slurp(key_folder / key)), name << "/" << key);
    }
  }
  BOOST_TEST(!fs::exists(s.hls / "cam1" / parse_playlist(slurp(s.hls / "cam1/stream.m3u8")).keys.at(0)));
}

BOOST_AUTO_TEST_CASE(ffmpeg_plays_10_s_through_a_signed_link) {
  Site& s = site();
  const auto [url, listing] = s.ready("cam1");
  BOOST_REQUIRE_MESSAGE(listing.segments.size() >= 3, slurp(s.path("error.log")));
  // 10 s in real time (-re), decrypted and decoded to nowhere. ffmpeg's TLS
  // does not verify certificates unless asked (-tls_verify).
  const RunResult play = run_tool({"ffmpeg", "-v", "error", "-re", "-i", url, "-t", "10", "-f", "null", "-"}, 45s);
  BOOST_TEST(play.exit_code == 0, play.err);
  BOOST_TEST(play.err.empty(), play.err);
  BOOST_TEST(!play.timed_out);
}

BOOST_AUTO_TEST_CASE(a_tampered_signature_gets_403) {
  Site& s = site();
  const auto [url, listing] = s.ready("cam1");
  BOOST_REQUIRE(!listing.segments.empty());
  const auto at = url.find("/hls/") + 5;
  std::string tampered = url;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  BOOST_TEST(s.get(tampered).status == 403);
  BOOST_TEST(s.get(folder(tampered) + listing.segments.back()).status == 403);
  BOOST_TEST(s.get(folder(tampered) + listing.keys.at(0)).status == 403);
  // A later expiry than the one signed.
  const auto expires_at = url.find('/', at) + 1;
  std::string extended = url;
  extended.replace(expires_at, url.find('/', expires_at) - expires_at, std::to_string(std::time(nullptr) + 86400 * 365));
  BOOST_TEST(s.get(extended).status == 403);
  // Garbage where the signature goes.
  std::string garbage = url;
  garbage.replace(at, 22, std::string(22, '_'));
  BOOST_TEST(s.get(garbage).status == 403);
}

BOOST_AUTO_TEST_CASE(an_expired_link_gets_410) {
  Site& s = site();
  const auto [fresh, listing] = s.ready("cam1");
  BOOST_REQUIRE(!listing.segments.empty());
  const std::string url = s.sign("cam1", "@" + std::to_string(std::time(nullptr) - 60));
  BOOST_TEST(s.get(url).status == 410);
  BOOST_TEST(s.get(folder(url) + listing.segments.back()).status == 410);
  BOOST_TEST(s.get(folder(url) + listing.keys.at(0)).status == 410);
}

BOOST_AUTO_TEST_CASE(an_unsigned_path_gets_403_or_404) {
  Site& s = site();
  const auto [url, listing] = s.ready("cam1");
  BOOST_REQUIRE(!listing.segments.empty());
  const std::vector<std::string> paths{"/hls/cam1/stream.m3u8", "/hls/cam1/" + listing.segments.back(),
                                       "/hls/cam1/" + listing.keys.at(0), "/cctv-hls/cam1/stream.m3u8",
                                       "/cctv-hls-keys/cam1/" + listing.keys.at(0), "/", "/nginx.conf"};
  for (const auto& path : paths) {
    const int status = s.get(s.base + path).status;
    BOOST_TEST((status == 403 || status == 404), path << ": " << status);
  }
}

BOOST_AUTO_TEST_CASE(a_link_for_one_camera_does_not_open_another) {
  Site& s = site();
  const auto [url, listing] = s.ready("cam1");
  BOOST_REQUIRE(!listing.segments.empty());
  const auto [url2, listing2] = s.ready("cam2");
  BOOST_REQUIRE(!listing2.segments.empty());
  std::string other = url;
  other.replace(other.find("/cam1/"), 6, "/cam2/");
  BOOST_TEST(s.get(other).status == 403);
  BOOST_TEST(s.get(folder(other) + listing2.segments.back()).status == 403);
  BOOST_TEST(s.get(folder(other) + listing2.keys.at(0)).status == 403);
  BOOST_TEST(s.get(url2).status == 200);
}

BOOST_AUTO_TEST_CASE(the_secret_appears_in_no_log) {
  Site& s = site();
  BOOST_REQUIRE(!s.ready("cam1").second.segments.empty());
  BOOST_TEST(slurp(s.path("error.log")).find(s.secret) == std::string::npos);
  BOOST_TEST(s.cam1.stderr_text().find(s.secret) == std::string::npos);
  BOOST_TEST(s.nginx.running());
  BOOST_TEST(s.cam1.running(), s.cam1.stderr_text());
  BOOST_TEST(s.cam2.running(), s.cam2.stderr_text());
}
