#include "tunlab/sim/sim_backend.hpp"

#include "tunlab/sim/scenario_runner.hpp"

namespace tunlab::sim {

RunSummary SimBackend::run(const scenario::Scenario& scenario, const BackendRunOptions& options) const {
  RunOptions run;
  static_cast<BackendRunOptions&>(run) = options;
  run.programs = programs_;
  return run_scenario(scenario, run);
}

}  // namespace tunlab::sim
