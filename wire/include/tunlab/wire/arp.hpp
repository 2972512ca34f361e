// ARP (RFC 826) for IPv4 over Ethernet, the only kind tunlab speaks: a checked view and the one
// builder of requests and replies. Construct views through parse(): once it succeeds, every
// accessor is in bounds.
#pragma once

#include <cstdint>
#include <optional>

#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/ipv4_address.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

namespace arp {
inline constexpr std::uint16_t kRequest = 1;
inline constexpr std::uint16_t kReply = 2;
}  // namespace arp

// Read-only view of an ARP message (the Ethernet payload).
class ArpView {
public:
  static constexpr std::size_t kLength = 28;
  // Accepts hardware type Ethernet (1) with 6-byte addresses, protocol type IPv4 with 4-byte
  // addresses, and kLength bytes present; any operation.
  static std::optional<ArpView> parse(ByteView bytes);

  std::uint16_t operation() const;
  MacAddress sender_mac() const;
  Ipv4Address sender_ip() const;
  MacAddress target_mac() const;
  Ipv4Address target_ip() const;

private:
  explicit ArpView(ByteView b) : b_(b) {}
  ByteView b_;
};

struct ArpFields {
  std::uint16_t operation = arp::kRequest;
  MacAddress sender_mac{};
  Ipv4Address sender_ip;
  MacAddress target_mac{};  // all zero in a request
  Ipv4Address target_ip;
};
// An Ethernet frame of kHeader + ArpView::kLength bytes from `fields.sender_mac` to `ethernet_dst`
// (the broadcast address for a request, the target for a reply), unpadded.
Packet build_arp_frame(const ArpFields& fields, const MacAddress& ethernet_dst);

}  // namespace tunlab
