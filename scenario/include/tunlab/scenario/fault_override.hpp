// Faults given as text (the command line's `--fault LINK:key=value,...` and
// `--device-fault HOST.DEV:...`) laid over a scenario's own `faults:`, so one scenario file can be
// swept under many fault mixes. The keys are those of scenario files (fault_keys.hpp).
#pragma once

#include <string>
#include <vector>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab {

struct FaultOverrides {
  std::vector<std::string> link{};    // "wan.right:loss=0.05,reorder=0.1,drop_nth=3,7"
  std::vector<std::string> device{};  // "right.tun0:eagain=0.2,read_buffer=100"

  bool empty() const { return link.empty() && device.empty(); }
  // The options as they would be typed again, shell-quoted (for repro lines):
  // " --fault wan.right:loss=0.1 --device-fault ...", or "" when there are none.
  std::string as_arguments() const;
};

// Sets each given key on the scenario's fault for that link direction or device (creating the
// entry when the scenario has none); keys not given keep the scenario's values. Throws
// InputError with one line naming the option, the entry and the key on any mistake.
void apply_fault_overrides(scenario::Scenario& scenario, const FaultOverrides& overrides);

}  // namespace tunlab
