// SPDX-License-Identifier: MIT
// (Named mjpeg_options.hpp, not options.hpp: the unit test binary sees every tool's folder.)
// cctv-mjpeg-serve's command line: the options, and the pure checks of --camera and --listen.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth.hpp"
#include "cctv/cli.hpp"
#include "cctv/jpeg.hpp"
#include "tls.hpp"
#include "url_signing.hpp"

namespace cctv::mjpeg {

extern const ToolSpec kSpec;

// The URL of the camera fed from standard input (--input -).
inline constexpr std::string_view kStdinUrl = "pipe:0";

struct CameraSpec {
  std::string name;  // [a-z0-9_-]+, unique; the path prefix /NAME/
  std::string url;   // as given (kStdinUrl for --input -)
  bool is_stdin() const { return url == kStdinUrl; }
};

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  int port = 0;      // 0: any free port (printed on start)
};

struct Options {
  InputCliOptions input;
  std::string url;                       // the positional URL, camera "cam"
  std::vector<std::string> camera_args;  // --camera NAME=URL
  std::string input_arg;                 // --input -
  std::vector<CameraSpec> cameras;       // filled by collect_cameras()
  std::string listen = "127.0.0.1:8080";
  ListenAddress address;
  JpegOptions jpeg;
  bool quality_given = false;  // an explicit --quality disables MJPEG pass-through
  double fps = 0;              // camera rate cap; 0: every frame
  double idle_timeout = 10;    // seconds without viewers before disconnecting
  bool always_on = false;
  double hls_segment_time = 2;    // --hls-segment-time
  double hls_part_time = 0.333;   // --hls-part-time
  int max_clients = 0;         // most stream viewers; 0: as many as the descriptor limit allows (run())
  LiveCliOptions live;         // retries -1: forever
  std::string basic_auth_file;  // --basic-auth-file
  std::string token_file;       // --token-file
  std::string tls_cert;         // --tls-cert (only with --tls-key)
  std::string tls_key;          // --tls-key
  std::vector<std::string> allow_origins;  // --allow-origin
  std::string url_key_file;     // --url-key-file
  std::string sign_path;        // --sign PATH: print a signed link and exit
  std::string expires = "1h";   // --expires (with --sign)
  std::shared_ptr<const Auth> auth;  // filled by define(): null when neither auth file is given
  TlsContext tls;                    // filled by define(): null without --tls-cert/--tls-key
  std::shared_ptr<const UrlSigner> signer;  // filled by define(): null without --url-key-file
};

// Parses "NAME=URL" (kUsage on a bad name or an empty URL; the URL itself is
// checked by parse_source_url later). The message never shows the URL's
// password.
[[nodiscard]] Result<CameraSpec> parse_camera_spec(std::string_view text);

// Parses "ADDR:PORT" or "[V6ADDR]:PORT" (kUsage when malformed).
[[nodiscard]] Result<ListenAddress> parse_listen(std::string_view text);

// The cameras of the command line: URL as "cam", each --camera, --input - as
// "stdin". kUsage when there is none, a name repeats, --input is not "-", or a
// URL does not parse.
[[nodiscard]] Result<std::vector<CameraSpec>> collect_cameras(const Options& o);

// Adds cctv-mjpeg-serve's options to `app` and returns the body tool_main runs.
ToolRun define(CLI::App& app);

}  // namespace cctv::mjpeg
