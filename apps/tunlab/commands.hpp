// The tunlab subcommands. Each registers itself on the CLI11 app; its callback returns the exit
// code: 0 all expectations held, 1 an expectation failed, 2 bad input or usage.
#pragma once

#include <CLI/CLI.hpp>

namespace tunlab::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

void add_run_commands(CLI::App& app, int& exit_code);  // run, replay, check
void add_demo_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_sweep_command(CLI::App& app, int& exit_code);   // sweep (seeds, shrink)
void add_tunnel_command(CLI::App& app, int& exit_code);  // app B as a daemon (real)

}  // namespace tunlab::cli
