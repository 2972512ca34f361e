// A scenario tunnel's `command` with its placeholders filled in, for every backend that runs it
// (the real backend in the host's namespace, the simulator under its supervisor): one expansion,
// so both run the same command line.
#pragma once

#include <string>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab::scenario {

// {dev} {local} {remote} {inner} {host} {mtu} {scenario_dir} (scenario_dir shell-quoted when it
// needs it); unknown names stay as written (the loader already refused them).
std::string expand_tunnel_command(const TunnelSpec& tunnel, const Scenario& scenario);

}  // namespace tunlab::scenario
