#include "tunlab/harness/replay_run.hpp"

#include "tunlab/capture/capture.hpp"

namespace tunlab {

void ReplayRun::add_to(BackendRunOptions& options) const {
  if (check) {
    options.observers.push_back(check.get());
  }
}

ReplayRun make_replay_run(const std::filesystem::path& pcap, std::optional<scenario::Scenario> into) {
  const bool seed_topology = !into.has_value();
  ReplayRun run;
  run.scenario = seed_topology ? scenario::seed_topology() : std::move(*into);
  if (seed_topology) {
    run.scenario.name = "replay-" + pcap.stem().string();
  }
  // Read through first: a bad pcap is bad input (exit 2) before anything runs.
  std::uint64_t count = 0;
  for (PcapReader reader(pcap); reader.next();) {
    ++count;
  }
  scenario::TrafficSpec traffic;
  traffic.kind = scenario::TrafficKind::replay;
  traffic.from = "left";
  traffic.replay = pcap.string();
  traffic.replay_records = count;
  run.scenario.traffic.push_back(traffic);
  if (!seed_topology) {
    return run;
  }
  scenario::Expectation all;
  all.kind = scenario::ExpectKind::delivered;
  all.name = "every replayed packet delivered";
  all.delivered = count;
  all.injected = count;
  run.scenario.expectations.push_back(all);
  scenario::Expectation hop;
  hop.kind = scenario::ExpectKind::hop;
  hop.name = "right-tun0 carries the replayed packets";
  hop.hop = "right-tun0";
  hop.at_least = count;
  run.scenario.expectations.push_back(hop);
  // Each packet must reach right-tun0 byte for byte as it was in the pcap.
  run.check = std::make_shared<ReplayCheck>(pcap, count);
  return run;
}

}  // namespace tunlab
