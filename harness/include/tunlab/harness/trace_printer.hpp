// The per-hop trace (`tunlab run --trace`) as an observer of the run: one line per IPv4 packet
// crossing any interface, on either backend. The simulator prints them as packets pass; the real
// backend once the run is over, from its captures, in time order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "tunlab/harness/run_observer.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

// One line per packet for the trace ("IPIP 18.12.0.92 > 18.13.0.91 ttl 64 ... [UDP ...]").
std::string describe_packet(ByteView ip_packet);

class TracePrinter final : public RunObserver {
public:
  // `out` stays open for the printer's life (stdout, or stderr when stdout carries JSON).
  explicit TracePrinter(std::FILE* out) : out_(out) {}

  // "   0.001000  #3    left-eth0   out IPIP ...": "#3" is the third packet the scenario sent,
  // "--" the network's own (ICMP errors, echo replies; every packet on the real backend, whose
  // captures carry no origin), so one packet can be followed from hop to hop.
  void hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView ip) override;
  // "   0.002000  #4    right       drop decap-unknown-peer: IPIP 18.12.0.99 > ...": where a packet
  // ended, in time order with the hops (the interface, or the host when no interface is known).
  void drop(std::int64_t at_ns, const DropPlace& place, std::uint32_t origin, std::string_view reason,
            ByteView ip) override;

private:
  std::FILE* out_;
};

}  // namespace tunlab
