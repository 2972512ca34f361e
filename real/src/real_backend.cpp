#include "tunlab/real/real_backend.hpp"

#include "tunlab/os/privileges.hpp"
#include "tunlab/real/scenario_runner.hpp"

namespace tunlab::real {

std::optional<std::string> RealBackend::unavailable() const {
  return os::privilege_skip_reason();
}

RunSummary RealBackend::run(const scenario::Scenario& scenario, const BackendRunOptions& options) const {
  RealRunOptions run;
  static_cast<BackendRunOptions&>(run) = options;
  run.note = note_;
  run.after_setup = after_setup_;
  return run_scenario_real(scenario, run);
}

}  // namespace tunlab::real
