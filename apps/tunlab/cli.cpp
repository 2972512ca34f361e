// The command line's body (tunlab/cli/cli.hpp): run, replay and check scenarios on the simulator
// (and on real namespaces), run the seed demo, and run app B as a real tunnel. See README.md.
#include <cstdio>
#include <exception>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "tunlab/cli/cli.hpp"
#include "tunlab/harness/input_error.hpp"

namespace tunlab::cli {

int run(int argc, char** argv, const AppRegistry& apps) {
  CLI::App app{"tunlab: a deterministic simulator and test harness for a user-space IPIP tunnel"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  int exit_code = kExitOk;
  add_run_commands(app, exit_code, apps);
  add_demo_command(app, exit_code);
  add_diff_command(app, exit_code);
  add_sweep_command(app, exit_code, apps);
  add_tunnel_command(app, exit_code, apps);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "tunlab: {}\n", e.what());
    fmt::print(stderr, "Run 'tunlab --help' for usage.\n");
    return kExitBadInput;
  } catch (const InputError& e) {
    fmt::print(stderr, "tunlab: {}\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "tunlab: error: {}\n", e.what());
    return kExitBadInput;
  }
  return exit_code;
}

}  // namespace tunlab::cli
