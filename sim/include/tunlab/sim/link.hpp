// A point-to-point link between two simulated interfaces: delay, MTU (set on both ends), an
// optional rate with a bounded queue, up/down. Seeded faults per direction are LinkFaults'
// decisions; the link only carries them out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tunlab/scenario/scenario.hpp"
#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/link_faults.hpp"

namespace tunlab::sim {

class Host;
class Network;

class Link final : public PacketEventHandler {
public:
  struct End {
    Host* host = nullptr;
    std::size_t interface = 0;
  };
  Link(Network& network, End a, End b, const scenario::LinkSpec& spec);

  // Transmits `packet` from end `side` (0 = a, 1 = b) towards the other end.
  void send(int side, Packet&& packet);
  void set_up(bool up) { up_ = up; }
  bool up() const { return up_; }
  void set_mtu(std::size_t mtu);
  // Faults on the direction leaving `side`, with that direction's own random stream.
  void set_faults(int side, const scenario::LinkFaultSpec& faults);
  const End& end(int side) const { return ends_[side]; }
  // The side (0 or 1) whose interface is `end`; -1 if neither.
  int side_of(const scenario::LinkEnd& end) const;
  // Every fault applied on the direction leaving `side`, in packet order.
  const std::vector<LinkFaults::Event>& fault_events(int side) const { return directions_[side].faults.events(); }
  std::string describe() const;

  void handle_packet_event(std::uint32_t arg, Packet&& packet) override;

private:
  struct Direction {
    LinkFaults faults;
    Time busy_until = 0;
    EventQueue::Lane lane = 0;  // packets in flight this way, in arrival order
  };

  Network& network_;
  End ends_[2];
  scenario::LinkSpec spec_;
  Direction directions_[2];
  bool up_ = true;
};

}  // namespace tunlab::sim
