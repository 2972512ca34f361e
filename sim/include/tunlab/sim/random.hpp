// The simulator's fault randomness is the harness's Random (tunlab/harness/random.hpp), which the
// device-fault wrapper shares with the real backend.
#pragma once

#include "tunlab/harness/random.hpp"

namespace tunlab::sim {

using tunlab::Random;

}  // namespace tunlab::sim
