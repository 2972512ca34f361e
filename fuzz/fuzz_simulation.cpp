// The whole simulation: arbitrary packets, sent by the apps of left, wan and right at
// fuzzer-chosen times, into the seed topology (with a fuzzer-chosen wan MTU). Oracle: the run's
// accounting invariants (every injected packet delivered or dropped with a named reason,
// injected == delivered + sum(dropped), nothing delivered that nobody sent).
#include <string>

#include "fuzz_support.hpp"
#include "tunlab/sim/scenario_runner.hpp"

using namespace tunlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const std::size_t wan_mtu = 576 + in.u16() % (9000 - 576);
  scenario::Scenario s = scenario::seed_topology(wan_mtu);
  s.name = "fuzz";
  static const char* const kHosts[] = {"left", "wan", "right"};
  for (int i = 0; i < 16 && !in.empty(); ++i) {
    scenario::TrafficSpec t;
    t.kind = scenario::TrafficKind::raw;
    const std::uint8_t host = in.byte();
    t.from = kHosts[host % 3];
    t.at_ns = static_cast<scenario::Nanos>(in.u16()) * 1000;
    const std::size_t length = in.u16() % 4096;
    const auto bytes = in.take(length);
    t.raw.assign(bytes.begin(), bytes.end());
    if (t.raw.size() < 20) {
      continue;  // the loader refuses what is not an IPv4 header; so does this target
    }
    s.traffic.push_back(std::move(t));
  }
  const RunSummary summary = sim::run_scenario(s, {});
  if (!summary.invariant_violations.empty()) {
    fuzz::oracle_failed(summary.invariant_violations.front().c_str());
  }
  std::uint64_t dropped = 0;
  for (const auto& [reason, count] : summary.dropped) {
    dropped += count;
  }
  if (summary.injected != summary.delivered + dropped) {
    fuzz::oracle_failed("injected != delivered + sum(dropped)");
  }
  return 0;
}
