// How the simulator gets the app for a `command:` tunnel: a program run under a supervisor that
// lives outside the simulator (tunlab::program, wired in by the CLI), so the simulator itself
// depends on no operating-system mechanism and a run without a factory refuses such a scenario.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::sim {

struct ProgramLaunch {
  std::string host;
  std::string command_line;  // the tunnel's `command`, placeholders filled in
  std::uint64_t seed = 0;    // the run's seed: the program's randomness derives from it
};

// Builds the app that runs the program over `environment`; throws to refuse or fail the run.
using ProgramFactory = std::function<std::unique_ptr<AppB>(const ProgramLaunch&, const AppEnvironment&)>;

}  // namespace tunlab::sim
