// A backend-neutral stream of what a run sees, fed as packets pass: every packet crossing an
// interface and every drop, in the order they happen. The simulator calls it from its hop and
// drop points, the real backend from its captures. Observers keep what they need (the report
// keeps the first packets in detail and histograms for the rest); nothing here stores hops.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Where a packet was dropped, as precisely as the backend knows it.
struct DropPlace {
  std::string host;       // always set: the host whose stack, device, tunnel or link end dropped it
  std::string interface;  // "wan-right" (HOST-IFACE) when an interface is known, else empty
  bool on_link = false;   // dropped on the link leaving `interface` (loss, queue, link down)
};

class RunObserver {
public:
  virtual ~RunObserver() = default;
  // `ip` (an IPv4 packet, link header removed) crossed interface `label` ("left-eth0") at
  // `at_ns` on the run's clock; `outgoing` = the interface's host sent it. `origin` is the
  // injected packet it descends from, 0 when unknown or the network's own (ICMP errors, replies).
  // Calls come in time order; `ip` is only valid during the call.
  virtual void hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView ip) = 0;
  // A packet of `origin` was dropped at `place` for `reason` (a name of drop_reason.hpp, or an
  // app B's own). `ip` may be empty when the dropping layer holds no IPv4 packet.
  virtual void drop(std::int64_t at_ns, const DropPlace& place, std::uint32_t origin, std::string_view reason,
                    ByteView ip) = 0;
};

}  // namespace tunlab
