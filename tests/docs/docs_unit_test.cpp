// SPDX-License-Identifier: MIT
// Unit tests of cctv::docs: man page and completions generated from a small CLI11 app.
#define BOOST_TEST_MODULE docs_unit_test
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cctv/cli.hpp"
#include "cctv/docs.hpp"
#include "cctv/error.hpp"

namespace {

// A template with every placeholder, shaped like man/<tool>.1.in.
constexpr const char* kTemplate = R"(.\" SPDX-License-Identifier: MIT
.TH @NAME@ 1 2024-01-01 "cctv-tools @VERSION@" "User Commands"
.SH NAME
@NAME@ \- @SUMMARY@
.SH SYNOPSIS
@SYNOPSIS@
.SH DESCRIPTION
Reads a camera.
.SH OPTIONS
@OPTIONS@
.SH EXIT STATUS
@EXIT_STATUS@
.SH ENVIRONMENT
@ENVIRONMENT@
)";

// Values the options bind to; the app keeps pointers into them.
struct Values {
  bool quiet = false;
  int verbose = 0;
  double timeout = 10, sample = 0;
  bool fast = false;
  std::string transport = "tcp";
  int level = 0;
  int scale = 0;
  std::string output, user, password_file, format, dir, hostport, generate, codec, weird;
  std::vector<std::string> headers, urls;
};

// A tool shaped like the real ones: flags, values, choices in every CLI11
// spelling, files, two groups, a positional and a hidden option.
struct DemoApp {
  Values v;
  CLI::App app{"Probe a camera", "demo-tool"};

  DemoApp() {
    app.set_version_flag("--version", "0.0.0");
    app.add_flag("-q,--quiet", v.quiet, "Only print errors");
    app.add_flag("-v,--verbose", v.verbose, "More output; repeat for more");
    app.add_option("-t,--timeout", v.timeout, "Seconds to wait for the camera")->capture_default_str();
    app.add_option("--transport", v.transport, "RTSP transport")
        ->check(CLI::IsMember({"tcp", "udp"}))
        ->capture_default_str();
    std::map<std::string, int> levels{{"debug", 0}, {"info", 1}, {"warn", 2}};
    app.add_option("--log-level", v.level, "Log level")
        ->transform(CLI::CheckedTransformer(levels, CLI::ignore_case));
    app.add_option("--scale", v.scale, "Scale preset")->transform(CLI::Transformer(levels));
    std::map<std::string, int> codecs{{"h264", 1}, {"h265", 2}};
    app.add_option("--codec", v.codec, "Codec")->check(CLI::IsMember(codecs));
    auto* sample = app.add_option("--sample", v.sample, "Measure for SECONDS")
                       ->type_name("SECONDS")
                       ->check(CLI::Range(0.1, 3600.0));
    app.add_flag("--fast", v.fast, "Do not wait")->excludes(sample);
    app.add_option("--hostport", v.hostport, "Where to listen")->type_name("HOST:PORT");
    app.add_option("--file-format", v.format, "Not a file despite its name");
    auto* user = app.add_option("--user", v.user, "User name");
    app.add_option("--password-file", v.password_file, "Read the password from FILE")->needs(user);
    app.add_option("-H,--header", v.headers, "Extra header, repeatable");
    app.add_option("-o,--output", v.output, "Write to FILE, - for stdout")->group("Output");
    app.add_option("--dir", v.dir, "Directory for segments")->check(CLI::ExistingDirectory)->group("Output");
    app.add_option("--weird", v.weird,
                   ".starts with a dot, has a back\\slash, 'quotes', \"double\", [brackets]: colons, "
                   "caf\xC3\xA9 and 20\xC2\xB0" "C")
        ->group("Output");
    app.add_option("--generate", v.generate, "Hidden generator")->group("");
    app.add_option("url", v.urls, "Camera URL or file")->required();
  }

  cctv::ToolSpec spec() const { return {"demo-tool", "probe a camera - quickly", kTemplate}; }
  std::string man() const { return cctv::docs::man_page(app, spec()); }
  std::string bash() const { return cctv::docs::bash_completion(app, spec()); }
  std::string zsh() const { return cctv::docs::zsh_completion(app, spec()); }
  std::string fish() const { return cctv::docs::fish_completion(app, spec()); }
};

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The man page's OPTIONS section, from its .SH to the next .SH.
std::string options_section(const std::string& man) {
  std::size_t begin = man.find(".SH OPTIONS");
  std::size_t end = man.find(".SH EXIT STATUS");
  BOOST_REQUIRE(begin != std::string::npos);
  BOOST_REQUIRE(end != std::string::npos);
  return man.substr(begin, end - begin);
}

// Runs `command FILE` on `text` saved to a scratch file and returns what it
// printed on stdout and stderr, or "exit N: ..." when it failed. Programs that
// are not installed pass (the docs.<tool> tests require them).
std::string complaints_of(const std::string& program, const std::string& args, const std::string& text) {
  if (std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) != 0) return {};
  auto path = std::filesystem::temp_directory_path() /
              ("docs_unit_test." + std::to_string(::getpid()) + "." + program);
  std::ofstream(path) << text;
  std::string output;
  FILE* pipe = ::popen((program + " " + args + " '" + path.string() + "' 2>&1").c_str(), "r");
  std::array<char, 512> buffer{};
  while (pipe != nullptr && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  int status = pipe != nullptr ? ::pclose(pipe) : -1;
  std::filesystem::remove(path);
  return status == 0 ? output : "exit " + std::to_string(status) + ": " + output;
}

// The man page of a tool with the one option that `define` adds.
std::string man_of_one_option(const std::function<void(CLI::App&)>& define) {
  CLI::App app{"x", "one"};
  define(app);
  return cctv::docs::man_page(app, {"one", "s", "@OPTIONS@\n"});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(man_page)

BOOST_AUTO_TEST_CASE(fills_every_placeholder) {
  DemoApp demo;
  std::string man = demo.man();
  for (const char* key : {"@NAME@", "@SUMMARY@", "@VERSION@", "@SYNOPSIS@", "@OPTIONS@", "@EXIT_STATUS@",
                          "@ENVIRONMENT@"}) {
    BOOST_TEST(!contains(man, key), key);
  }
  BOOST_TEST(contains(man, ".TH demo\\-tool 1 2024-01-01 \"cctv-tools " CCTV_VERSION "\""));
  BOOST_TEST(contains(man, "demo\\-tool \\- probe a camera \\- quickly\n"));
}

BOOST_AUTO_TEST_CASE(lists_short_and_long_names_with_the_type) {
  std::string man = DemoApp().man();
  BOOST_TEST(contains(man, ".TP\n\\fB\\-t\\fR, \\fB\\-\\-timeout\\fR \\fIFLOAT\\fR\n"
                           "Seconds to wait for the camera.\n"));
  BOOST_TEST(contains(man, ".TP\n\\fB\\-q\\fR, \\fB\\-\\-quiet\\fR\nOnly print errors.\n"));
  BOOST_TEST(contains(man, "\\fB\\-H\\fR, \\fB\\-\\-header\\fR \\fITEXT\\fR...\n"));
  BOOST_TEST(contains(man, "\\fB\\-\\-hostport\\fR \\fIHOST:PORT\\fR\n"));
}

BOOST_AUTO_TEST_CASE(shows_defaults_and_allowed_values) {
  std::string man = DemoApp().man();
  BOOST_TEST(contains(man, "\\fB\\-\\-transport\\fR \\fITEXT\\fR\nRTSP transport.\n"
                           "Allowed values: \\fBtcp\\fR or \\fBudp\\fR.\nDefault: \\fBtcp\\fR.\n"));
  BOOST_TEST(contains(man, "Default: \\fB10\\fR."));
  BOOST_TEST(contains(man, "\\fB\\-\\-log\\-level\\fR \\fIINT\\fR\nLog level.\n"
                           "Allowed values: \\fBdebug\\fR, \\fBinfo\\fR or \\fBwarn\\fR.\n"));
  BOOST_TEST(contains(man, "\\fB\\-\\-codec\\fR \\fITEXT\\fR\nCodec.\n"
                           "Allowed values: \\fBh264\\fR or \\fBh265\\fR.\n"));
  BOOST_TEST(contains(man, "More output; repeat for more.\nMay be given more than once.\n"));
}

BOOST_AUTO_TEST_CASE(shows_ranges_exclusions_and_needs) {
  std::string man = DemoApp().man();
  BOOST_TEST(contains(man, "\\fB\\-\\-sample\\fR \\fISECONDS\\fR\nMeasure for SECONDS.\n"
                           "Range: \\fB0.1\\fR to \\fB3600\\fR.\n"
                           "Cannot be used with \\fB\\-\\-fast\\fR.\n"));
  BOOST_TEST(contains(man, "\\fB\\-\\-fast\\fR\nDo not wait.\nCannot be used with \\fB\\-\\-sample\\fR.\n"));
  BOOST_TEST(contains(man, "Read the password from FILE.\nRequires \\fB\\-\\-user\\fR.\n"));
}

BOOST_AUTO_TEST_CASE(omits_hidden_options) {
  DemoApp demo;
  BOOST_TEST(!contains(options_section(demo.man()), "generate"));
  BOOST_TEST(!contains(demo.man(), "Hidden generator"));
}

BOOST_AUTO_TEST_CASE(puts_positionals_in_synopsis_and_options) {
  std::string man = DemoApp().man();
  BOOST_TEST(contains(man, ".SH SYNOPSIS\n\\fBdemo\\-tool\\fR\n[\\fIOPTION\\fR]...\n\\fIURL\\fR...\n.SH"));
  BOOST_TEST(contains(man, ".SS \"Arguments\"\n.TP\n\\fIURL\\fR...\nCamera URL or file.\n"));
}

BOOST_AUTO_TEST_CASE(groups_become_subsections_in_definition_order) {
  std::string opts = options_section(DemoApp().man());
  std::size_t options = opts.find(".SS \"Options\"");
  std::size_t output = opts.find(".SS \"Output\"");
  BOOST_TEST(options != std::string::npos);
  BOOST_TEST(output != std::string::npos);
  BOOST_TEST(options < opts.find("\\-\\-timeout"));
  BOOST_TEST(opts.find("\\-\\-timeout") < opts.find("\\-\\-transport"));
  BOOST_TEST(output < opts.find("\\-\\-output"));
  BOOST_TEST(opts.find("\\-\\-header") < output);
}

BOOST_AUTO_TEST_CASE(single_group_has_no_subsections) {
  CLI::App app{"x", "one"};
  int n = 0;
  app.add_option("-n,--count", n, "How many");
  std::string man = cctv::docs::man_page(app, {"one", "one tool", kTemplate});
  BOOST_TEST(!contains(man, ".SS"));
  BOOST_TEST(contains(man, "\\fB\\-\\-count\\fR \\fIINT\\fR\nHow many.\n"));
}

BOOST_AUTO_TEST_CASE(escapes_roff) {
  std::string opts = options_section(DemoApp().man());
  BOOST_TEST(contains(opts, "\n\\&.starts with a dot, has a back\\eslash, 'quotes', \"double\", "
                            "[brackets]: colons, caf\\[u00E9] and 20\\[u00B0]C.\n"));
  BOOST_TEST(contains(opts, "Write to FILE, \\- for stdout."));
  for (std::size_t i = 0; i < opts.size(); ++i) {
    const bool bare_hyphen = opts[i] == '-' && (i == 0 || opts[i - 1] != '\\');
    BOOST_TEST_REQUIRE(!bare_hyphen, "bare hyphen at " << i);
    BOOST_TEST_REQUIRE(static_cast<unsigned char>(opts[i]) < 0x80, "non-ASCII at " << i);
  }
}

BOOST_AUTO_TEST_CASE(guards_template_lines_that_start_with_a_substituted_dot) {
  CLI::App app{"x", "dot"};
  std::string man = cctv::docs::man_page(app, {"dot", ".hidden summary", "@SUMMARY@ here\nsee @SUMMARY@\n"});
  BOOST_TEST(contains(man, "\n\\&.hidden summary here\nsee .hidden summary\n"));
}

BOOST_AUTO_TEST_CASE(lists_every_exit_code_and_environment_variable) {
  std::string man = DemoApp().man();
  for (const auto& info : cctv::kExitCodes) {
    BOOST_TEST(contains(man, ".TP\n\\fB" + std::to_string(cctv::to_int(info.code)) + "\\fR\n"));
  }
  for (const auto& var : cctv::kEnvironment) {
    std::string name;
    for (char c : var.name) name += c == '-' ? std::string("\\-") : std::string(1, c);
    BOOST_TEST(contains(man, ".TP\n\\fB" + name + "\\fR\n"), name);
  }
}

BOOST_AUTO_TEST_CASE(passes_mandoc_and_groff_lint) {
  std::string man = DemoApp().man();
  BOOST_TEST(complaints_of("mandoc", "-T lint -W warning", man) == "");
  BOOST_TEST(complaints_of("groff", "-ww -man -z", man) == "");
}

BOOST_AUTO_TEST_CASE(is_deterministic) {
  DemoApp a, b;
  BOOST_TEST(a.man() == b.man());
  BOOST_TEST(a.man() == a.man());
}

BOOST_AUTO_TEST_CASE(keeps_a_preprocessor_line_first) {
  CLI::App app{"x", "tbl"};
  std::string man = cctv::docs::man_page(app, {"tbl", "s", "'\\\" t\n.TH X 1\n"});
  BOOST_TEST(man.starts_with("'\\\" t\n.\\\" Generated by"));
}

BOOST_AUTO_TEST_SUITE_END()

// How the CLI11 type name strings (IsMember, CheckedTransformer, Transformer,
// Range, custom type names) are read.
BOOST_AUTO_TEST_SUITE(type_names)

BOOST_AUTO_TEST_CASE(is_member_set_gives_its_values) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static int n = 0;
    app.add_option("--n", n, "N")->check(CLI::IsMember({1, 2, 3}));
  });
  BOOST_TEST(contains(man, "\\fB\\-\\-n\\fR \\fIINT\\fR\nN.\n"
                           "Allowed values: \\fB1\\fR, \\fB2\\fR or \\fB3\\fR.\n"));
}

BOOST_AUTO_TEST_CASE(is_member_map_gives_its_keys) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static std::string codec;
    std::map<std::string, int> codecs{{"h264", 1}, {"h265", 2}};
    app.add_option("--codec", codec, "Codec")->check(CLI::IsMember(codecs));
  });
  BOOST_TEST(contains(man, "\\fB\\-\\-codec\\fR \\fITEXT\\fR\nCodec.\n"
                           "Allowed values: \\fBh264\\fR or \\fBh265\\fR.\n"));
}

BOOST_AUTO_TEST_CASE(checked_transformer_gives_its_keys_not_its_values) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static int level = 0;
    std::map<std::string, int> levels{{"debug", 0}, {"info", 1}};
    app.add_option("--level", level, "Level")->transform(CLI::CheckedTransformer(levels));
  });
  BOOST_TEST(contains(man, "\\fB\\-\\-level\\fR \\fIINT\\fR\nLevel.\n"
                           "Allowed values: \\fBdebug\\fR or \\fBinfo\\fR.\n"));
}

BOOST_AUTO_TEST_CASE(plain_transformer_is_not_a_fixed_set) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static int scale = 0;
    std::map<std::string, int> presets{{"hd", 720}};
    app.add_option("--scale", scale, "Scale")->transform(CLI::Transformer(presets));
  });
  BOOST_TEST(contains(man, "\\fB\\-\\-scale\\fR \\fIINT:{hd\\->720}\\fR\nScale.\n"));
  BOOST_TEST(!contains(man, "Allowed"));
}

BOOST_AUTO_TEST_CASE(values_may_contain_colons) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static std::string at;
    app.add_option("--at", at, "At")->type_name("WHERE")->check(CLI::IsMember({"a:b", "c"}));
  });
  BOOST_TEST(contains(man, "\\fIWHERE\\fR\nAt.\nAllowed values: \\fBa:b\\fR or \\fBc\\fR.\n"));
}

BOOST_AUTO_TEST_CASE(custom_type_name_with_a_colon_stays_whole) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static std::string listen;
    app.add_option("--listen", listen, "Listen")->type_name("HOST:PORT");
  });
  BOOST_TEST(contains(man, "\\fB\\-\\-listen\\fR \\fIHOST:PORT\\fR\nListen.\n"));
}

BOOST_AUTO_TEST_CASE(range_becomes_a_range_and_leaves_the_type_name) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static int jobs = 1;
    app.add_option("--jobs", jobs, "Jobs")->type_name("N")->check(CLI::Range(-5, 256));
  });
  BOOST_TEST(contains(man, "\\fB\\-\\-jobs\\fR \\fIN\\fR\nJobs.\n"
                           "Range: \\fB\\-5\\fR to \\fB256\\fR.\n"));
}

BOOST_AUTO_TEST_CASE(other_validators_stay_in_the_type_name) {
  std::string man = man_of_one_option([](CLI::App& app) {
    static std::string in;
    app.add_option("--in", in, "In")->check(CLI::ExistingFile);
  });
  BOOST_TEST(contains(man, "\\fB\\-\\-in\\fR \\fITEXT:FILE\\fR\nIn.\n"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(completions)

BOOST_AUTO_TEST_CASE(bash_completes_options_values_and_files) {
  std::string bash = DemoApp().bash();
  BOOST_TEST(contains(bash, "\n_demo_tool()\n{\n"));
  BOOST_TEST(contains(bash, "\ncomplete -F _demo_tool demo-tool\n"));
  const std::string files = "            compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen ";
  const std::string words = "            mapfile -t COMPREPLY < <(compgen -W ";
  BOOST_TEST(contains(bash, "        --transport)\n" + words + "'tcp udp' -- \"$cur\")\n"));
  BOOST_TEST(contains(bash, "        --log-level)\n" + words + "'debug info warn' -- \"$cur\")\n"));
  BOOST_TEST(contains(bash, "        -o|--output)\n" + files + "-f -- \"$cur\")\n"));
  BOOST_TEST(contains(bash, "        --password-file)\n" + files + "-f -- \"$cur\")\n"));
  BOOST_TEST(contains(bash, "        --dir)\n" + files + "-d -- \"$cur\")\n"));
  BOOST_TEST(contains(bash, "        -t|--timeout|--scale|--sample|--hostport|--file-format|--user|-H|--header|"
                            "--weird)\n"
                            "            return 0\n"));
  BOOST_TEST(contains(bash, "local opts='-h --help --version -q --quiet -v --verbose -t --timeout "));
}

BOOST_AUTO_TEST_CASE(bash_flags_take_no_argument) {
  std::string bash = DemoApp().bash();
  BOOST_TEST(!contains(bash, "--quiet)"));
  BOOST_TEST(!contains(bash, "--help)"));
  BOOST_TEST(!contains(bash, "--verbose)"));
}

BOOST_AUTO_TEST_CASE(zsh_pairs_short_and_long_forms) {
  std::string zsh = DemoApp().zsh();
  BOOST_TEST(zsh.starts_with("#compdef demo-tool\n"));
  BOOST_TEST(contains(zsh, "'(-t --timeout)'{-t+,--timeout=}'[Seconds to wait for the camera]:FLOAT: '"));
  BOOST_TEST(contains(zsh, "'(-q --quiet)'{-q,--quiet}'[Only print errors]'"));
  BOOST_TEST(contains(zsh, "'*'{-v,--verbose}'[More output; repeat for more]'"));
  BOOST_TEST(contains(zsh, "'--transport=[RTSP transport]:TEXT:(tcp udp)'"));
  BOOST_TEST(contains(zsh, "'(-o --output)'{-o+,--output=}'[Write to FILE, - for stdout]:TEXT:_files'"));
  BOOST_TEST(contains(zsh, "'--dir=[Directory for segments]:TEXT\\:DIR:_files -/'"));
  BOOST_TEST(contains(zsh, "'--hostport=[Where to listen]:HOST\\:PORT: '"));
  BOOST_TEST(contains(zsh, "'*:URL:_files'"));
  BOOST_TEST(contains(zsh, "'(--sample)--fast[Do not wait]'"));
  BOOST_TEST(contains(zsh, "'(--fast)--sample=[Measure for SECONDS]:SECONDS: '"));
  BOOST_TEST(contains(zsh, "'(-h --help)'{-h,--help}'[Print this help message and exit]'"));
}

BOOST_AUTO_TEST_CASE(zsh_escapes_spec_text) {
  std::string zsh = DemoApp().zsh();
  BOOST_TEST(contains(zsh, "'--weird=[.starts with a dot, has a back\\\\slash, '\\''quotes'\\'', \"double\", "
                           "\\[brackets\\]\\: colons, caf\xC3\xA9 and 20\xC2\xB0" "C]:TEXT: '"));
}

BOOST_AUTO_TEST_CASE(fish_declares_each_option) {
  std::string fish = DemoApp().fish();
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -F\n"));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -s t -l timeout -x -d 'Seconds to wait for the camera'"));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -l file-format -x -d 'Not a file despite its name'\n"));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -l transport -x -a 'tcp udp' -d 'RTSP transport'\n"));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -s o -l output -r -F -d 'Write to FILE, - for stdout'"));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -l password-file -r -F -d "));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -l dir -x -a '(__fish_complete_directories)' -d"));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -s q -l quiet -d 'Only print errors'\n"));
  BOOST_TEST(contains(fish, "\ncomplete -c demo-tool -l version -d "));
  BOOST_TEST(contains(fish, "-d '.starts with a dot, has a back\\\\slash, \\'quotes\\', \"double\""));
}

BOOST_AUTO_TEST_CASE(completions_omit_hidden_options) {
  DemoApp demo;
  std::string bash = demo.bash();
  std::size_t opts = bash.find("local opts=");
  BOOST_REQUIRE(opts != std::string::npos);
  BOOST_TEST(!contains(bash.substr(opts, bash.find('\n', opts) - opts), "generate"));
  BOOST_TEST(!contains(bash, "--generate)"));
  BOOST_TEST(!contains(demo.zsh(), "--generate="));
  BOOST_TEST(!contains(demo.zsh(), "Hidden generator"));
  BOOST_TEST(!contains(demo.fish(), "-l generate"));
}

BOOST_AUTO_TEST_CASE(choices_with_shell_characters_are_escaped) {
  CLI::App app{"x", "odd"};
  std::string mode;
  app.add_option("--mode", mode, "Mode")->check(CLI::IsMember({"a:b", "it's", "$(boom)"}));
  cctv::ToolSpec spec{"odd", "s", ""};
  BOOST_TEST(contains(cctv::docs::man_page(app, {"odd", "s", "@OPTIONS@\n"}),
                      "Allowed values: \\fBa:b\\fR, \\fBit's\\fR or \\fB$(boom)\\fR."));
  BOOST_TEST(contains(cctv::docs::bash_completion(app, spec), "compgen -W 'a\\:b it\\'\\''s \\$\\(boom\\)'"));
  BOOST_TEST(contains(cctv::docs::fish_completion(app, spec), "-a 'a\\\\:b it\\\\\\'s \\\\$\\\\(boom\\\\)'"));
}

BOOST_AUTO_TEST_CASE(every_completion_passes_its_shells_syntax_check) {
  DemoApp demo;
  BOOST_TEST(complaints_of("bash", "-n", demo.bash()) == "");
  BOOST_TEST(complaints_of("zsh", "-n", demo.zsh()) == "");
  BOOST_TEST(complaints_of("fish", "-n", demo.fish()) == "");
}

BOOST_AUTO_TEST_CASE(tool_without_positionals_offers_options_not_files) {
  CLI::App app{"x", "nopos"};
  bool flag = false;
  app.add_flag("--flag", flag, "A flag");
  cctv::ToolSpec spec{"nopos", "s", ""};
  std::string bash = cctv::docs::bash_completion(app, spec);
  std::string fish = cctv::docs::fish_completion(app, spec);
  BOOST_TEST(contains(fish, "\ncomplete -c nopos -f\n"));
  BOOST_TEST(contains(bash, "\n    mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n}"));
  BOOST_TEST(complaints_of("bash", "-n", bash) == "");
  BOOST_TEST(complaints_of("zsh", "-n", cctv::docs::zsh_completion(app, spec)) == "");
  BOOST_TEST(complaints_of("fish", "-n", fish) == "");
}

BOOST_AUTO_TEST_SUITE_END()
