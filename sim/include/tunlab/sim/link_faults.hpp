// The simulator's links use the shared link fault model (harness/link_faults.hpp), the same
// decisions the real backend's user-space wire makes.
#pragma once

#include "tunlab/harness/link_faults.hpp"
#include "tunlab/sim/event_queue.hpp"  // Time, which code using LinkFaults here measures delays in

namespace tunlab::sim {

using tunlab::LinkFaults;

}  // namespace tunlab::sim
