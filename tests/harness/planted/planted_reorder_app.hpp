// Test-only: an app B with a planted reorder bug, for tests/harness/sweep_planted_bug_test.sh. It is
// tunlab's own engine except on receive: it assumes an inner datagram's fragments come through
// the tunnel in order, and drops (reporting "planted-reorder") a fragment that arrives after a
// later fragment of the same datagram. The sweep must find it under reordering and shrink it.
#pragma once

#include <memory>

#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::planted {

inline constexpr std::string_view kAppName = "planted-reorder";

std::unique_ptr<AppB> make_planted_reorder_app(const AppEnvironment& environment);

}  // namespace tunlab::planted
