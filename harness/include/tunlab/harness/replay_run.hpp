// What `tunlab replay` runs: a pcap's IPv4 packets as app A's traffic, into a given scenario or
// into the seed topology, which then also expects every packet delivered and checks each reaches
// right-tun0 byte for byte (ReplayCheck).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "tunlab/harness/backend.hpp"
#include "tunlab/harness/run_result.hpp"
#include "tunlab/harness/scenario.hpp"

namespace tunlab {

struct ReplayRun {
  scenario::Scenario scenario;
  // For the run's BackendRunOptions (empty unless the seed topology was used).
  std::vector<HopWatch> watches;
  std::function<void(RunSummary&)> post_run;

  // `options` with this run's watches and check added.
  void add_to(BackendRunOptions& options) const;
};

// Reads `pcap` through first (throws InputError for a bad one, before anything runs). `into`:
// the scenario to replay into, or nullopt for the seed topology named "replay-STEM".
ReplayRun make_replay_run(const std::filesystem::path& pcap, std::optional<scenario::Scenario> into);

}  // namespace tunlab
