#include "tunlab/sim/sim_backend.hpp"

#include <stdexcept>

#include "tunlab/sim/scenario_runner.hpp"

namespace tunlab::sim {

RunSummary SimBackend::run(const scenario::Scenario& scenario, const BackendRunOptions& options) const {
  RunOptions run;
  run.seed = options.seed;
  run.capture_dir = options.capture_dir;
  run.tracer = tracer_;
  run.observer = options.observer;
  run.apps = options.apps;
  run.pre_run = [&options](Network& network) {
    for (const HopWatch& watch : options.watches) {
      const bool known = network.observe_hop(
          watch.label, [see = watch.see](Time, Direction direction, std::uint32_t origin, ByteView ip) {
            see(direction == Direction::out, origin, ip);
          });
      if (!known) {
        throw std::invalid_argument("hop watch: no interface '" + watch.label + "' in this scenario");
      }
    }
  };
  if (options.post_run) {
    run.post_run = [&options](Network&, RunSummary& summary) { options.post_run(summary); };
  }
  return run_scenario(scenario, run);
}

}  // namespace tunlab::sim
