// What a random link fault did to one packet. A backend that applies link faults lists these
// (BackendRunOptions::applied_link_faults), so a failing run's random faults can be replayed as
// targeted ones (drop_nth, corrupt_nth, reorder_nth, duplicate_nth) and shrunk (shrink.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tunlab {

enum class LinkFaultKind : std::uint8_t { drop, corrupt, reorder, duplicate };

struct AppliedLinkFault {
  std::size_t fault = 0;  // index into the scenario's link_faults
  LinkFaultKind kind = LinkFaultKind::drop;
  std::uint64_t packet = 0;  // 1-based packet number on that fault's link direction
};

}  // namespace tunlab
