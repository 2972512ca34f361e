// `--fault` and `--device-fault` on a command; what they mean is the harness's
// (tunlab/scenario/fault_override.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include "tunlab/scenario/fault_override.hpp"

namespace tunlab::cli {

using tunlab::apply_fault_overrides;
using tunlab::FaultOverrides;

// Adds --fault and --device-fault to `command`.
void add_fault_options(CLI::App& command, FaultOverrides& overrides);

}  // namespace tunlab::cli
