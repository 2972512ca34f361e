// The tunlab subcommands. Each registers itself on the CLI11 app; its callback returns the exit
// code (tunlab/os/exit_code.hpp): 0 all expectations held, 1 an expectation failed, 2 bad input
// or usage, 3 a system failure.
#pragma once

#include <CLI/CLI.hpp>

#include "tunlab/os/exit_code.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::cli {

using os::kExitBadInput;
using os::kExitFailed;
using os::kExitOk;
using os::kExitSystemFailure;

// `apps`: what scenarios and --app may name; outlives the parse.
void add_run_commands(CLI::App& app, int& exit_code, const AppRegistry& apps);  // run, replay, check
void add_demo_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_sweep_command(CLI::App& app, int& exit_code, const AppRegistry& apps);    // sweep (seeds, shrink)
void add_tunnel_command(CLI::App& app, int& exit_code, const AppRegistry& apps);   // app B as a daemon (real)
void add_conform_command(CLI::App& app, int& exit_code, const AppRegistry& apps);  // the RFC conformance cases

}  // namespace tunlab::cli
