// The packets a scenario's traffic item sends. Both backends build them here, so the simulator's
// and the real backend's app A send byte-identical packets (IDs, payloads, echo identifiers and
// TCP sequence numbers), which is what lets `tunlab diff` compare their captures.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tunlab/scenario/scenario.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Repetition `index` (0-based) of traffic item `spec_index` of a scenario, from `src`.
// For raw traffic: the item's bytes as written. Replay items are read from their pcap instead.
Packet build_traffic_packet(const scenario::TrafficSpec& traffic, Ipv4Address src, std::uint32_t index,
                            std::size_t spec_index);

}  // namespace tunlab
