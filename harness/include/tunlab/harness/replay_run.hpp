// What `tunlab replay` runs: a pcap's IPv4 packets as app A's traffic, into a given scenario or
// into the seed topology, which then also expects every packet delivered and checks each reaches
// right-tun0 byte for byte (ReplayCheck).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "tunlab/harness/backend.hpp"
#include "tunlab/harness/replay_check.hpp"
#include "tunlab/scenario/scenario.hpp"

namespace tunlab {

struct ReplayRun {
  scenario::Scenario scenario;
  // Replay's byte-for-byte check at right-tun0, an observer of the run (the seed topology only).
  std::shared_ptr<ReplayCheck> check;

  // `options` with this run's check among its observers; the check must outlive the run.
  void add_to(BackendRunOptions& options) const;
};

// Reads `pcap` through first (throws InputError for a bad one, before anything runs). `into`:
// the scenario to replay into, or nullopt for the seed topology named "replay-STEM".
ReplayRun make_replay_run(const std::filesystem::path& pcap, std::optional<scenario::Scenario> into);

}  // namespace tunlab
