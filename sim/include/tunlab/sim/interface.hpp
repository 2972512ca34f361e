// A simulated network interface: its address, MTU and what it is attached to (a link or a
// TUN/TAP device), plus the state the stack keeps per interface (neighbours on TAP).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/scenario/scenario.hpp"
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab::sim {

class Link;
class SimDevice;

enum class Direction { in, out };  // from the interface owner's point of view

struct Interface {
  std::string name;    // eth0
  std::string label;   // left-eth0: the capture and hop name
  std::size_t id = 0;  // dense across the network (Network::next_interface_id): taps index by it
  scenario::InterfaceKind kind = scenario::InterfaceKind::ethernet;
  std::uint32_t address = 0;  // host order
  std::uint8_t prefix_length = 24;
  std::size_t mtu = 1500;
  bool up = true;
  MacAddress mac{};
  Link* link = nullptr;
  int link_side = 0;
  SimDevice* device = nullptr;
  int hop_observers = -1;  // index in the network's hop observer lists, -1 when none

  // TAP only: resolved neighbours and packets waiting for ARP, keyed by next hop (host order).
  std::map<std::uint32_t, MacAddress> neighbours;
  std::map<std::uint32_t, std::vector<Packet>> awaiting_arp;
};

// The IPv4 packet in `bytes` as `interface` carries them, link header removed; nullopt for ARP
// and other non-IP frames on a TAP interface.
inline std::optional<ByteView> carried_ipv4(const Interface& interface, ByteView bytes) {
  if (interface.kind != scenario::InterfaceKind::tap) {
    return bytes;
  }
  const auto ethernet = EthernetView::parse(bytes);
  if (!ethernet || ethernet->ethertype() != ethertype::kIpv4) {
    return std::nullopt;
  }
  return ethernet->payload();
}

}  // namespace tunlab::sim
