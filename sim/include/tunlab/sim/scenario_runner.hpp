// Runs a scenario on the simulator: builds the network, schedules its traffic on the virtual
// clock, runs to completion, checks the accounting invariants and judges the expectations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "tunlab/harness/run_result.hpp"
#include "tunlab/harness/scenario.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/sim/trace_tap.hpp"

namespace tunlab::sim {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // default: the scenario's seed
  std::optional<std::filesystem::path> capture_dir;
  Tracer tracer;                    // per-hop trace, if wanted
  RunObserver* observer = nullptr;  // sees every hop and drop as it happens (the report), if set
  // Runs once the network is built and the traffic scheduled, before it runs: e.g. to observe a
  // hop as packets pass.
  using PreRun = std::function<void(Network&)>;
  PreRun pre_run;
  // Runs after the network has run, before the summary is returned: extra checks of a caller's.
  using PostRun = std::function<void(Network&, RunSummary&)>;
  PostRun post_run;
  // Where tunnels' apps come from (nullptr: the apps tunlab ships). Not owned; outlives the run.
  const AppRegistry* apps = nullptr;
  // Runs each `command:` tunnel's program (empty: such a scenario is refused).
  ProgramFactory programs;
  // Off: no digest in the summary, and no capture recorded unless capture_dir is set
  // (BackendRunOptions::digest).
  bool digest = true;
};

RunSummary run_scenario(const scenario::Scenario& scenario, const RunOptions& options);

// Schedules the scenario's traffic on `network` (exposed for library users who build their own
// runs). Each traffic item is expanded as the run goes: one event per item waits in the queue.
void schedule_traffic(const scenario::Scenario& scenario, Network& network);

// One line per packet for the per-hop trace ("0.001000 left-eth0 out IPIP 18.12.0.92 > ...").
std::string describe_packet(ByteView ip_packet);

}  // namespace tunlab::sim
