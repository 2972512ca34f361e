// The per-hop trace (tunlab --trace) as a tap: every IPv4 packet crossing any interface goes to
// a tracer, which prints it; ARP and other non-IP frames on TAP interfaces are left out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "tunlab/sim/packet_tap.hpp"

namespace tunlab::sim {

// `label` is the interface's HOST-IFACE name; `origin` lets a trace follow one packet across hops.
using Tracer = std::function<void(Time, const std::string& label, Direction, std::uint32_t origin, ByteView ip_packet)>;

class TraceTap final : public PacketTap {
public:
  explicit TraceTap(Tracer tracer) : tracer_(std::move(tracer)) {}

  void seen(Time at, const Interface& interface, Direction direction, std::uint32_t origin, ByteView bytes) override {
    if (const auto ip = carried_ipv4(interface, bytes)) {
      tracer_(at, interface.label, direction, origin, *ip);
    }
  }

private:
  Tracer tracer_;
};

}  // namespace tunlab::sim
