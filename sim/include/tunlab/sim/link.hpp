// A point-to-point link between two simulated interfaces: delay, MTU (set on both ends), an
// optional rate with a bounded queue, up/down, and seeded faults per direction.
#pragma once

#include <cstdint>
#include <string>

#include "tunlab/scenario.hpp"
#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/random.hpp"

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
  std::string describe() const;

  void handle_packet_event(std::uint32_t arg, Packet&& packet) override;

private:
  struct Direction {
    scenario::LinkFaultSpec faults;
    bool faulty = false;
    Random random{0};
    std::uint64_t packets = 0;
    Time busy_until = 0;
  };
  void corrupt(Direction& direction, Packet& packet);

  Network& network_;
  End ends_[2];
  scenario::LinkSpec spec_;
  Direction directions_[2];
  bool up_ = true;
};

}  // namespace tunlab::sim
