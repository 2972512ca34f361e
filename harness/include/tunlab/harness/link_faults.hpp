// Seeded faults on one direction of a link (the scenario's faults.link): which packets are lost,
// corrupted, delayed, reordered or duplicated, decided packet by packet from the direction's own
// random stream, with a log of what was done. Whoever carries the link carries the decisions out
// (the simulator's Link, the real backend's user-space wire, real/fault_wire.hpp): the same
// decision code on both backends, so the same seed loses the same packets. Nothing here moves a
// packet, so a fault model can be tested without a network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/harness/applied_fault.hpp"
#include "tunlab/harness/random.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/drop_reason.hpp"

namespace tunlab {

class LinkFaults {
public:
  // What a fault did to one packet, so a failing run's random faults can be replayed as targeted
  // ones (drop_nth, corrupt_nth, reorder_nth, duplicate_nth) and shrunk: the kinds every backend
  // reports (harness/applied_fault.hpp).
  using Kind = LinkFaultKind;
  struct Event {
    std::uint64_t packet = 0;  // 1-based packet number on the direction
    Kind kind = Kind::drop;
    bool operator==(const Event&) const = default;
  };

  struct BitFlip {
    std::size_t byte = 0;
    std::uint8_t mask = 0;  // one bit set
    bool operator==(const BitFlip&) const = default;
  };
  // What to do with one packet. A dropped packet has nothing else decided for it.
  struct Decision {
    std::optional<DropReason> drop;  // link_loss or fault_targeted
    std::optional<BitFlip> flip;     // none for an empty packet, even when corrupted; `byte` counts from the IP header
    std::int64_t extra_delay = 0;    // jitter and reorder delay in ns, on top of the link's own
    bool duplicate = false;          // a second copy leaves with the same delay
    bool operator==(const Decision&) const = default;
  };

  // No faults: every packet passes untouched and nothing is drawn.
  LinkFaults() = default;
  // `random` is the direction's own stream, so faults elsewhere never shift its draws.
  LinkFaults(const scenario::LinkFaultSpec& spec, Random random);
  // The name of a direction's stream: Random::derive(seed, stream_name(from)) ("link:wan.right").
  static std::string stream_name(const scenario::LinkEnd& from) { return "link:" + from.describe(); }

  // Decides for the next IP packet (of `size` bytes, IP header onwards) leaving on this
  // direction. Every packet is counted, faulty or not, so targeted faults number packets the way
  // the log does.
  Decision decide(std::size_t size);
  // Every fault applied so far, in packet order.
  const std::vector<Event>& events() const { return events_; }

private:
  bool nth(const std::vector<std::uint64_t>& packets) const;
  void record(Kind kind) { events_.push_back({packets_, kind}); }

  scenario::LinkFaultSpec spec_;
  bool active_ = false;
  Random random_{0};
  std::uint64_t packets_ = 0;
  std::vector<Event> events_;
};

}  // namespace tunlab
