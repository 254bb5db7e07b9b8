// SPDX-License-Identifier: MIT
// tool_main(): the shared option vocabulary, parsing, logging setup and exit codes.
#include "cctv/cli.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cctv/av.hpp"
#include "cctv/docs.hpp"
#include "cctv/log.hpp"
#include "cctv/read_file.hpp"
#include "cctv/signals.hpp"
#include "cctv/url.hpp"

namespace cctv {

const std::vector<EnvVar> kEnvironment = {
    {"CCTV_PASSWORD", "Camera password, used with --user (or the URL's user) when no --password-file is given. "
                      "Safer than a password in the URL, which other users can read in ps(1)."},
    {"CREDENTIALS_DIRECTORY", "Set by systemd's LoadCredential=; the file cctv-password in it holds the camera "
                              "password when neither --password-file nor CCTV_PASSWORD is given."},
    {"JOURNAL_STREAM", "Set by systemd when stderr goes to the journal; log lines then carry <N> priority "
                       "prefixes instead of the tool name."},
};

CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        double v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
          return "'" + text + "' is not a number";
        }
        if (v < lo || v > hi) return fmt::format("{} is not in [{} - {}]", text, lo, hi);
        return {};
      },
      fmt::format("FLOAT in [{} - {}]", lo, hi));
}

CLI::Option* add_url_argument(CLI::App& app, std::string& url, std::string_view note) {
  return app.add_option("URL", url, "Camera URL (rtsp, rtsps, http, https), file, or lavfi:GRAPH" + std::string(note))
      ->type_name("URL");
}

Result<NamedUrl> parse_named_url(std::string_view option, std::string_view text,
                                 bool (*valid_name)(std::string_view), std::string_view name_rule) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return fail(ExitCode::kUsage, fmt::format("{} '{}': expected NAME=URL", option, redact(text)));
  }
  NamedUrl n{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  if (!valid_name(n.name)) {
    return fail(ExitCode::kUsage, fmt::format("{}: invalid name '{}' (use {})", option, n.name, name_rule));
  }
  if (n.url.empty()) return fail(ExitCode::kUsage, fmt::format("{} {}=: empty URL", option, n.name));
  return n;
}

void add_input_options(CLI::App& app, InputCliOptions& o) {
  const std::string group = "Input";
  app.add_option_function<std::string>(
         "--transport",
         [&o](const std::string& v) {
           o.source.transport = v == "udp" ? Transport::kUdp : v == "tcp" ? Transport::kTcp : Transport::kAuto;
         },
         "RTSP transport; auto: tcp, or udp when the camera refuses tcp (udp may be dropped by firewalls and NAT)")
      ->check(CLI::IsMember({"auto", "tcp", "udp"}))
      ->default_str("auto")
      ->type_name("PROTO")
      ->group(group);
  app.add_option_function<double>(
         "--timeout",
         [&o](double s) { o.source.timeout = std::chrono::milliseconds(static_cast<long>(s * 1000)); },
         "Seconds to wait for the connection and for every read before giving up (exit 3)")
      ->check(finite_range(0.1, 3600.0))
      ->default_str("10")
      ->type_name("SECONDS")
      ->group(group);
  app.add_option("--user", o.user, "Camera user name (overrides the URL's)")->type_name("NAME")->group(group);
  app.add_option("--password-file", o.password_file,
                 "Read the camera password from the first line of FILE, a regular file (see also CCTV_PASSWORD)")
      ->type_name("FILE")
      ->group(group);
}

void add_jpeg_options(CLI::App& app, JpegOptions& jpeg, bool& quality_given) {
  app.add_option_function<int>(
         "--quality",
         [&jpeg, &quality_given](int q) {
           jpeg.quality = q;
           quality_given = true;
         },
         "JPEG quality; an explicit quality disables MJPEG pass-through")
      ->check(CLI::Range(1, 100))
      ->default_str("85")
      ->type_name("Q");
  app.add_option("--width", jpeg.width, "Scale to this width (keeps the aspect ratio unless --height is given)")
      ->check(CLI::Range(16, 16384))
      ->type_name("W");
  app.add_option("--height", jpeg.height, "Scale to this height (keeps the aspect ratio unless --width is given)")
      ->check(CLI::Range(16, 16384))
      ->type_name("H");
}

void add_live_options(CLI::App& app, LiveCliOptions& o, const std::string& retries_default) {
  const std::string group = "Input";
  app.add_option("--retries", o.retries, "Reconnect attempts after a camera loss [default: " + retries_default + "]")
      ->check(CLI::Range(0, 1000000000))
      ->type_name("N")
      ->group(group);
  app.add_option_function<double>(
         "--stall-timeout",
         [&o](double s) { o.stall_timeout = std::chrono::milliseconds(std::lround(s * 1000)); },
         "Seconds without a packet (or 3 times as long without a keyframe) that count as a camera loss")
      ->check(finite_range(0.1, 3600.0))
      ->default_str("10")
      ->type_name("SECONDS")
      ->group(group);
}

namespace {

// Bigger than any password; a file this large is not a password file.
constexpr size_t kMaxPasswordFile = 4096;

// The first line of a password file (read_small_file(): a regular file only).
// An empty password is an error, not a silent login without one.
Result<std::string> read_password_file(const std::filesystem::path& p) {
  auto bytes = read_small_file(p, kMaxPasswordFile);
  if (!bytes) return fail(ExitCode::kUsage, "cannot read password file '" + p.string() + "'", bytes.error().cause);
  std::string line = bytes->substr(0, bytes->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    return fail(ExitCode::kUsage, "password file '" + p.string() + "' has an empty first line (the password goes there)");
  }
  return line;
}

}  // namespace

Status resolve_credentials(InputCliOptions& o) {
  o.source.user = o.user;
  if (!o.password_file.empty()) {
    auto pw = read_password_file(o.password_file);
    if (!pw) return fail(pw.error());
    o.source.password = *pw;
    return {};
  }
  if (const char* env = std::getenv("CCTV_PASSWORD"); env != nullptr && *env != '\0') {
    o.source.password = env;
    return {};
  }
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    const auto p = std::filesystem::path(dir) / "cctv-password";
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) {
      auto pw = read_password_file(p);
      if (!pw) return fail(pw.error());
      o.source.password = *pw;
    }
  }
  return {};
}

namespace {

void add_log_options(CLI::App& app, LogOptions& o) {
  const std::string group = "Logging";
  app.add_flag("-q,--quiet", o.quiet, "Print errors only")->group(group);
  app.add_flag("-v,--verbose", o.verbose, "More detail on stderr; repeat for debug (-vv) and trace (-vvv)")
      ->group(group);
  app.add_option("--log-level", o.level, "Log level, overriding -q and -v")
      ->check(CLI::IsMember({"quiet", "error", "warning", "notice", "info", "debug", "trace"}))
      ->type_name("LEVEL")
      ->group(group);
}

LogLevel effective_level(const LogOptions& o) {
  LogLevel l = LogLevel::kNotice;
  if (!o.level.empty() && parse_log_level(o.level, l)) return l;
  if (o.quiet) return LogLevel::kError;
  return static_cast<LogLevel>(std::min(static_cast<int>(LogLevel::kTrace),
                                        static_cast<int>(LogLevel::kNotice) + o.verbose));
}

// --generate prints a document and stops parsing, before required options
// (the URL) are checked.
void add_generate_option(CLI::App& app, const ToolSpec& spec) {
  app.add_option_function<std::string>(
         "--generate",
         [&app, &spec](const std::string& what) {
           std::string doc;
           if (what == "man") doc = docs::man_page(app, spec);
           else if (what == "bash") doc = docs::bash_completion(app, spec);
           else if (what == "zsh") doc = docs::zsh_completion(app, spec);
           else doc = docs::fish_completion(app, spec);
           std::fwrite(doc.data(), 1, doc.size(), stdout);
           throw CLI::Success();
         },
         "Print the man page or a shell completion and exit")
      ->check(CLI::IsMember({"man", "bash", "zsh", "fish"}))
      ->trigger_on_parse()
      ->group("");
}

// The single "cctv-x: error: ..." line (with a journald priority under systemd).
void print_error(std::string_view message) {
  if (log_enabled(LogLevel::kError)) log_line(LogLevel::kError, message);
}

}  // namespace

int tool_main(int argc, char** argv, const ToolSpec& spec, const std::function<ToolRun(CLI::App&)>& define) {
  CLI::App app(spec.summary, spec.name);
  app.set_version_flag("--version", fmt::format("{} {} (cctv-tools, libavformat {})", spec.name,
                                                CCTV_VERSION, LIBAVFORMAT_IDENT + 4));
  app.get_formatter()->column_width(32);
  LogOptions log_opts;
  ToolRun run = define(app);
  add_log_options(app, log_opts);
  add_generate_option(app, spec);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version, --generate
    log_init(spec.name, LogLevel::kError);
    print_error(std::string(e.what()) + " (see --help)");
    return to_int(ExitCode::kUsage);
  }
  log_init(spec.name, effective_level(log_opts));
  install_signal_handlers();
  try {
    Result<ExitCode> r = run();
    if (!r) {
      print_error(r.error().what());
      return to_int(r.error().code);
    }
    return to_int(*r);
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what());
    return to_int(ExitCode::kFailure);
  }
}

}  // namespace cctv
