// Faults given on the command line (`--fault LINK:key=value,...`, `--device-fault HOST.DEV:...`)
// laid over a scenario's own `faults:`, so one scenario file can be swept under many fault mixes.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab::cli {

struct FaultOverrides {
  std::vector<std::string> link;    // "wan.right:loss=0.05,reorder=0.1,drop_nth=3,7"
  std::vector<std::string> device;  // "right.tun0:eagain=0.2,read_buffer=100"

  bool empty() const { return link.empty() && device.empty(); }
  // The options as they would be typed again, shell-quoted (for repro lines).
  std::string as_arguments() const;
};

// Adds --fault and --device-fault to `command`.
void add_fault_options(CLI::App& command, FaultOverrides& overrides);

// Sets each given key on the scenario's fault for that link direction or device (creating the
// entry when the scenario has none); keys not given keep the scenario's values. Throws
// InputError with one line naming the option, the entry and the key on any mistake.
void apply_fault_overrides(scenario::Scenario& scenario, const FaultOverrides& overrides);

// Shell-quotes `text` when it needs it (for repro lines a person pastes).
std::string shell_quote(const std::string& text);

}  // namespace tunlab::cli
