#include "tunlab/real/real_backend.hpp"

#include "tunlab/os/privileges.hpp"
#include "tunlab/real/scenario_runner.hpp"

namespace tunlab::real {

std::optional<std::string> RealBackend::unavailable() const {
  return os::privilege_skip_reason();
}

RunSummary RealBackend::run(const scenario::Scenario& scenario, const BackendRunOptions& options) const {
  RealRunOptions run;
  run.seed = options.seed;
  run.capture_dir = options.capture_dir;
  run.note = note_;
  run.after_setup = after_setup_;
  run.apps = options.apps;
  run.observer = options.observer;
  run.digest = options.digest;
  // The captures are complete once the run is over: each watch sees its interface's packets then.
  run.post_run = [&options](const RealHops& hops, RunSummary& summary) {
    for (const HopWatch& watch : options.watches) {
      if (const auto it = hops.find(watch.label); it != hops.end()) {
        for (const RealHopPacket& packet : it->second) {
          watch.see(packet.outgoing, 0, packet.bytes);
        }
      }
    }
    if (options.post_run) {
      options.post_run(summary);
    }
  };
  return run_scenario_real(scenario, run);
}

}  // namespace tunlab::real
