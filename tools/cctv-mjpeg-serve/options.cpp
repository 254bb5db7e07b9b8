// SPDX-License-Identifier: MIT
// cctv-mjpeg-serve's options and their checks.
#include "mjpeg_options.hpp"

#include <charconv>
#include <chrono>
#include <memory>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cctv/times.hpp"
#include "cctv/url.hpp"
#include "serve.hpp"

namespace cctv::embedded {
extern const char* const cctv_mjpeg_serve_man_template;
}

namespace cctv::mjpeg {

const ToolSpec kSpec{
    "cctv-mjpeg-serve",
    "Serve live MJPEG views of cameras to browsers over HTTP, one encode per camera",
    embedded::cctv_mjpeg_serve_man_template,
};

namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void add_camera_options(CLI::App& app, Options& o) {
  add_url_argument(app, o.url, "; served as camera 'cam'");
  app.add_option("--camera", o.camera_args, "Serve a camera as /NAME/ (NAME: a-z 0-9 _ -); repeatable")
      ->type_name("NAME=URL");
  app.add_option("--input", o.input_arg,
                 "Read multipart JPEGs (cctv-grab --stream --format mpjpeg) from - (stdin) as camera 'stdin'")
      ->check(CLI::IsMember({"-"}))
      ->type_name("-");
}

void add_picture_options(CLI::App& app, Options& o) {
  add_jpeg_options(app, o.jpeg, o.quality_given);
  app.add_option("--fps", o.fps, "Highest frame rate of every camera (frames are skipped, never queued)")
      ->check(finite_range(0.01, 1000.0))
      ->type_name("F");
}

void add_server_options(CLI::App& app, Options& o) {
  app.add_option("--listen", o.listen, "Address and port to serve on; 0.0.0.0:PORT serves every interface")
      ->default_str("127.0.0.1:8080")
      ->type_name("ADDR:PORT");
  app.add_option("--idle-timeout", o.idle_timeout, "Seconds a camera stays connected after its last viewer left")
      ->check(finite_range(0.0, 86400.0))
      ->default_str("10")
      ->type_name("SECONDS");
  app.add_flag("--always-on", o.always_on, "Keep every camera connected, with or without viewers");
  app.add_option("--max-clients", o.max_clients,
                 "Most concurrent stream viewers (1 or more); more get 503. At most, and by default, the open-file "
                 "limit (raised to its hard limit) less 64 and less 8 per camera; a larger N is lowered, with a "
                 "warning")
      ->check(CLI::Validator(CLI::PositiveNumber).description(""))  // the text says it; no "N:POSITIVE" metavar
      ->type_name("N");
  app.add_option("--hls-segment-time", o.hls_segment_time,
                 "LL-HLS (/NAME/index.m3u8): a segment ends at the first keyframe after this many seconds")
      ->check(finite_range(0.5, 60.0))
      ->default_str("2")
      ->type_name("SECONDS");
  app.add_option("--hls-part-time", o.hls_part_time,
                 "LL-HLS: the longest part, in seconds (parts hold whole frames); at most --hls-segment-time")
      ->check(finite_range(0.05, 5.0))
      ->default_str("0.333")
      ->type_name("SECONDS");
}

void add_security_options(CLI::App& app, Options& o) {
  const std::string group = "Security";
  app.add_option("--basic-auth-file", o.basic_auth_file,
                 "Require HTTP Basic auth: lines user:HASH, HASH from openssl passwd -6 or mkpasswd")
      ->type_name("FILE")
      ->group(group);
  app.add_option("--token-file", o.token_file,
                 "Require a bearer token (Authorization header or ?token=): one token a line")
      ->type_name("FILE")
      ->group(group);
  auto* cert = app.add_option("--tls-cert", o.tls_cert, "Serve HTTPS with this PEM certificate chain")
                   ->type_name("FILE")
                   ->group(group);
  auto* key = app.add_option("--tls-key", o.tls_key, "The PEM private key of --tls-cert (unencrypted)")
                  ->type_name("FILE")
                  ->group(group);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--allow-origin", o.allow_origins,
                 "Also accept WebSocket streams opened by pages of this origin (SCHEME://HOST[:PORT]); "
                 "repeatable. Others than the server's own get 403")
      ->type_name("ORIGIN")
      ->check(CLI::Validator(
          [](std::string& v) { return valid_origin(v) ? std::string() : "not an origin (SCHEME://HOST[:PORT]): " + v; },
          "", ""))
      ->group(group);
  app.add_option("--url-key-file", o.url_key_file,
                 "Also accept links signed with this key (32 or more random bytes): ?exp=UNIX_TIME&sig=SIGNATURE, "
                 "one camera each; expired 410, wrong 403")
      ->type_name("FILE")
      ->group(group);
  auto* sign = app.add_option("--sign", o.sign_path,
                              "Print PATH (/NAME/ or an endpoint under it) signed with --url-key-file, and exit")
                   ->type_name("PATH")
                   ->group(group);
  app.add_option("--expires", o.expires, "Lifetime of the --sign link: seconds, or a number with s, m, h or d")
      ->default_str("1h")
      ->type_name("DURATION")
      ->needs(sign)
      ->group(group);
}

// --sign: prints PATH?exp=...&sig=... for scripts and backends.
Result<ExitCode> print_signed_link(const Options& o) {
  if (o.url_key_file.empty()) return fail(ExitCode::kUsage, "--sign needs --url-key-file");
  if (camera_prefix(o.sign_path).empty() || o.sign_path.find_first_of("?#") != std::string::npos) {
    return fail(ExitCode::kUsage, "--sign '" + o.sign_path + "': give a path /NAME/ or /NAME/ENDPOINT, no query");
  }
  auto signer = UrlSigner::load(o.url_key_file);
  if (!signer) return fail(signer.error());
  auto lifetime = parse_duration_us(o.expires);
  if (!lifetime || lifetime->count() <= 0) return fail(ExitCode::kUsage, "--expires '" + o.expires + "': not a duration");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  const std::int64_t expires = now.count() + (lifetime->count() + 999'999) / 1'000'000;
  fmt::print("{}?exp={}&sig={}\n", o.sign_path, expires, (*signer)->sign(camera_prefix(o.sign_path), expires));
  return ExitCode::kOk;
}

// Reads the auth and TLS files, so that a bad one stops the start (exit 2).
Status load_security(Options& o) {
  auto auth = Auth::load(o.basic_auth_file, o.token_file);
  if (!auth) return fail(auth.error());
  o.auth = std::move(*auth);
  if (!o.url_key_file.empty()) {
    auto signer = UrlSigner::load(o.url_key_file);
    if (!signer) return fail(signer.error());
    o.signer = std::move(*signer);
  }
  if (o.tls_cert.empty()) return {};
  auto tls = load_tls(o.tls_cert, o.tls_key);
  if (!tls) return fail(tls.error());
  o.tls = std::move(*tls);
  return {};
}

}  // namespace

Result<CameraSpec> parse_camera_spec(std::string_view text) {
  auto n = parse_named_url("--camera", text, valid_name, "a-z, 0-9, _ and -");
  if (!n) return fail(n.error());
  return CameraSpec{std::move(n->name), std::move(n->url)};
}

Result<ListenAddress> parse_listen(std::string_view text) {
  auto bad = [&] { return fail(ExitCode::kUsage, "--listen '" + std::string(text) + "': expected ADDR:PORT"); };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad();  // a bare IPv6 address needs brackets
  }
  const std::string_view port = text.substr(colon + 1);
  ListenAddress a{std::string(host), 0};
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || a.port < 0 || a.port > 65535) {
    return bad();
  }
  return a;
}

Result<std::vector<CameraSpec>> collect_cameras(const Options& o) {
  std::vector<CameraSpec> out;
  if (!o.url.empty()) out.push_back({"cam", o.url});
  for (const auto& arg : o.camera_args) {
    auto c = parse_camera_spec(arg);
    if (!c) return fail(c.error());
    out.push_back(std::move(*c));
  }
  if (!o.input_arg.empty()) out.push_back({"stdin", std::string(kStdinUrl)});
  if (out.empty()) return fail(ExitCode::kUsage, "no camera: give a URL, --camera NAME=URL or --input -");
  std::set<std::string> names;
  for (const auto& c : out) {
    if (!names.insert(c.name).second) return fail(ExitCode::kUsage, "camera name '" + c.name + "' given twice");
    if (c.is_stdin()) continue;
    if (auto u = parse_source_url(c.url); !u) return fail(u.error());
  }
  return out;
}

ToolRun define(CLI::App& app) {
  auto o = std::make_shared<Options>();
  add_camera_options(app, *o);
  add_picture_options(app, *o);
  add_server_options(app, *o);
  add_security_options(app, *o);
  add_input_options(app, o->input);
  add_live_options(app, o->live, "unlimited");
  return [o]() -> cctv::Result<ExitCode> {
    if (!o->sign_path.empty()) return print_signed_link(*o);
    if (o->hls_part_time > o->hls_segment_time) {
      return fail(ExitCode::kUsage, fmt::format("--hls-part-time {:g} is longer than --hls-segment-time {:g}",
                                                o->hls_part_time, o->hls_segment_time));
    }
    auto cams = collect_cameras(*o);
    if (!cams) return fail(cams.error());
    o->cameras = std::move(*cams);
    auto addr = parse_listen(o->listen);
    if (!addr) return fail(addr.error());
    o->address = *addr;
    if (auto s = resolve_credentials(o->input); !s) return fail(s.error());
    if (auto s = load_security(*o); !s) return fail(s.error());
    return run(*o);
  };
}

}  // namespace cctv::mjpeg
