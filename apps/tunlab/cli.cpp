// The command line's body (tunlab/cli/cli.hpp): run, replay and check scenarios on the simulator
// (and on real namespaces), run the seed demo, and run app B as a real tunnel. See README.md.
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "junit.hpp"
#include "tunlab/cli/cli.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"

namespace tunlab::cli {

namespace {

// With --json anywhere on the line, bad input also answers on stdout, as JSON, so a CI step that
// parses stdout gets {"error": ...} instead of nothing. The line on stderr stays.
// Whatever the message holds (a command line's bytes, a file name), it is one printable line
// (safe_text.hpp), so neither the terminal nor the JSON encoder meets raw bytes.
int bad_input(const std::string& text, bool json) {
  const std::string message = safe_text::terminal(text);
  fmt::print(stderr, "tunlab: {}\n", message);
  if (json) {
    fmt::print("{}\n", safe_text::dump_json(nlohmann::json{{"error", message}}));
  }
  return kExitBadInput;
}

// --junit FILE (or --junit=FILE) on the command line, found without the parser (which may be what
// failed), and the subcommand's name: where a bad-input run still writes its one <error> testcase.
std::optional<std::string> junit_file(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--junit" && i + 1 < argc) {
      return std::string(argv[i + 1]);
    }
    if (arg.starts_with("--junit=")) {
      return std::string(arg.substr(8));
    }
  }
  return std::nullopt;
}

void junit_of_bad_input(int argc, char** argv, const std::string& message) {
  const auto file = junit_file(argc, argv);
  if (!file) {
    return;
  }
  const std::string command = argc > 1 && argv[1][0] != '-' ? argv[1] : "";
  try {
    write_junit(*file, junit_of_error(command, message));
  } catch (const InputError& e) {
    fmt::print(stderr, "tunlab: {}\n", e.what());
  }
}

}  // namespace

int run(int argc, char** argv, const AppRegistry& apps) {
  return run(argc, argv, apps, "tunlab");
}

int run(int argc, char** argv, const AppRegistry& apps, std::string_view name) {
  CLI::App app{"tunlab: a deterministic simulator and test harness for a user-space IPIP tunnel", std::string(name)};
  app.set_version_flag("--version", name == "tunlab" ? std::string("tunlab " TUNLAB_VERSION)
                                                     : fmt::format("{} (tunlab {})", name, TUNLAB_VERSION));
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  int exit_code = kExitOk;
  add_run_commands(app, exit_code, apps);
  add_demo_command(app, exit_code);
  add_diff_command(app, exit_code);
  add_sweep_command(app, exit_code, apps);
  add_tunnel_command(app, exit_code, apps);
  add_conform_command(app, exit_code, apps);
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    json = json || std::string_view(argv[i]) == "--json";
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    junit_of_bad_input(argc, argv, e.what());
    const int code = bad_input(e.what(), json);
    fmt::print(stderr, "Run 'tunlab --help' for usage.\n");
    return code;
  } catch (const InputError& e) {
    junit_of_bad_input(argc, argv, e.what());
    return bad_input(e.what(), json);
  } catch (const std::system_error& e) {
    // What the system refused says what was attempted (throw_errno): one line, a code of its own.
    const std::string message = safe_text::terminal(std::string("system failure: ") + e.what());
    fmt::print(stderr, "tunlab: {}\n", message);
    if (json) {
      fmt::print("{}\n", safe_text::dump_json(nlohmann::json{{"error", message}}));
    }
    return kExitSystemFailure;
  } catch (const std::exception& e) {
    return bad_input(std::string("error: ") + e.what(), json);
  }
  return exit_code;
}

}  // namespace tunlab::cli
