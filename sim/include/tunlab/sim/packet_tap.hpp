// A tap on the simulated interfaces: what the network shows every packet crossing an interface
// to, as it passes. Captures and the per-hop trace are taps the scenario runner adds, so they
// wrap the network instead of living inside it; the network only calls them.
#pragma once

#include <cstdint>

#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/interface.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab::sim {

class PacketTap {
public:
  virtual ~PacketTap() = default;
  // `bytes` crossed `interface` at `at`: an Ethernet frame on a TAP interface, an IPv4 packet on
  // TUN interfaces and simulated links (carried_ipv4() gets at the packet either way). `origin`
  // is the injected packet it descends from, 0 for the network's own (ICMP errors, echo
  // replies). Calls come in time order; `bytes` is only valid during the call.
  virtual void seen(Time at, const Interface& interface, Direction direction, std::uint32_t origin, ByteView bytes) = 0;
};

}  // namespace tunlab::sim
