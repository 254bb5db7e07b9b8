// SPDX-License-Identifier: MIT
// The one option vocabulary of every tool and tool_main(), the shared main().
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"
#include "cctv/jpeg.hpp"
#include "cctv/source.hpp"

// CLI11 is large (about 5 s of compile time per file that includes it): only
// the files that define options include <CLI/CLI.hpp>.
namespace CLI {
class App;
class Option;
class Validator;
}  // namespace CLI

namespace cctv {

// What a tool tells tool_main() and the doc generator about itself.
struct ToolSpec {
  std::string name;         // "cctv-probe"
  std::string summary;      // one line for --help and the man page NAME section
  std::string man_template; // the man/<tool>.1.in text, embedded at build time
};

// Logging options every tool has: -q, -v (repeatable), --log-level.
struct LogOptions {
  int verbose = 0;
  bool quiet = false;
  std::string level;  // empty: derived from -q/-v
};

// Adds the options every camera-reading tool spells the same way:
// --transport, --timeout, --user, --password-file. Values land in `opts`;
// --user / --password-file are resolved later by resolve_credentials().
struct InputCliOptions {
  SourceOptions source;
  std::string user;
  std::string password_file;
};
void add_input_options(CLI::App& app, InputCliOptions& opts);

// Applies --user/--password-file/$CCTV_PASSWORD/$CREDENTIALS_DIRECTORY to
// opts.source. Fails with kUsage when --password-file cannot be read, or a
// password source is given without --user.
[[nodiscard]] Status resolve_credentials(InputCliOptions& opts);

// A decimal number from lo to hi: CLI::Range for doubles without its hole,
// which lets "nan" through. Rejects NaN and the infinities.
CLI::Validator finite_range(double lo, double hi);

// The positional URL of a one-camera tool, described alike everywhere;
// `note` ends the description ("; served as camera 'cam'"). Returns the
// option, for the tool to mark ->required() when it is.
CLI::Option* add_url_argument(CLI::App& app, std::string& url, std::string_view note = {});

// "NAME=URL", as --camera and --variant take it.
struct NamedUrl {
  std::string name;
  std::string url;
};
// Splits `text` at its first '='. kUsage, one line naming `option` (the URL's
// password redacted), when there is no '=', `valid_name` rejects the name
// (`name_rule` says what it allows: "a-z, 0-9, _ and -"), or the URL is empty.
[[nodiscard]] Result<NamedUrl> parse_named_url(std::string_view option, std::string_view text,
                                               bool (*valid_name)(std::string_view), std::string_view name_rule);

// --retries and --stall-timeout: the shared options of tools that keep a
// camera connection (CONVENTIONS "Long-running tools").
struct LiveCliOptions {
  int retries = -1;  // -1: the tool's default (see add_live_options)
  std::chrono::milliseconds stall_timeout{10'000};
};
// Adds them in the "Input" group; `retries_default` is the help text of the
// default ("unlimited", "0 for one snapshot, else unlimited").
void add_live_options(CLI::App& app, LiveCliOptions& opts, const std::string& retries_default);

// --quality, --width and --height, for every tool that encodes JPEGs.
// `quality_given` becomes true when --quality is on the command line: an
// explicit quality disables MJPEG pass-through.
void add_jpeg_options(CLI::App& app, JpegOptions& jpeg, bool& quality_given);

// Environment variables the tools read, documented in every man page.
struct EnvVar {
  std::string_view name;
  std::string_view meaning;
};
extern const std::vector<EnvVar> kEnvironment;

// A tool's body: given the parsed options it returns the exit status to use
// (probe of many URLs returns the worst), or an Error, which tool_main prints
// as the single line "cctv-x: error: <message>" before exiting with its code.
using ToolRun = std::function<Result<ExitCode>()>;

// The shared main(): builds the CLI11 app, lets `define` add the tool's own
// options (and return the body to run), adds the logging options, --version
// and the hidden --generate man|bash|zsh|fish, parses (CLI11 errors -> exit 2
// with one line), configures logging, installs the signal handlers, runs the
// body and returns the process exit status. Exceptions that escape the body
// become exit 1 with one line.
int tool_main(int argc, char** argv, const ToolSpec& spec,
              const std::function<ToolRun(CLI::App&)>& define);

}  // namespace cctv
