// Runs a scenario on the simulator: builds the network, schedules its traffic on the virtual
// clock, runs to completion, checks the accounting invariants and judges the expectations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "tunlab/harness/backend.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/sim/program_factory.hpp"

namespace tunlab::sim {

// The options of every backend's run (seed, captures, observers, apps, digest), and two hooks
// only the simulator has: its Network, before and after the run.
struct RunOptions : BackendRunOptions {
  // Runs once the network is built and the traffic scheduled, before it runs: e.g. to observe a
  // hop as packets pass.
  using PreRun = std::function<void(Network&)>;
  PreRun pre_run;
  // Runs after the network has run, before the summary is returned: extra checks of a caller's.
  using PostRun = std::function<void(Network&, RunSummary&)>;
  PostRun post_run;
  // Runs each `command:` tunnel's program (empty: such a scenario is refused).
  ProgramFactory programs;
};

RunSummary run_scenario(const scenario::Scenario& scenario, const RunOptions& options);

// Schedules the scenario's traffic on `network` (exposed for library users who build their own
// runs). Each traffic item is expanded as the run goes: one event per item waits in the queue.
void schedule_traffic(const scenario::Scenario& scenario, Network& network);

}  // namespace tunlab::sim
