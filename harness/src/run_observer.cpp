#include "tunlab/harness/run_observer.hpp"

#include "tunlab/scenario/input_error.hpp"

namespace tunlab {

void check_hop_names(const scenario::Scenario& scenario, const std::vector<RunObserver*>& observers,
                     const std::function<bool(const std::string& label)>& known) {
  for (const scenario::Expectation& e : scenario.expectations) {
    if (!e.hop.empty() && !known(e.hop)) {
      throw InputError(e.place.describe() + ": expect.hop: no interface '" + e.hop + "' (names are HOST-IFACE)");
    }
  }
  for (const RunObserver* observer : observers) {
    const std::string label(observer->only_interface());
    if (!label.empty() && !known(label)) {
      throw InputError("scenario " + scenario.name + " has no interface '" + label +
                       "' to watch (names are HOST-IFACE)");
    }
  }
}

}  // namespace tunlab
