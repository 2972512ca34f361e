// Ethernet II header access over raw bytes: MAC addresses, EtherType constants, a checked view and
// a header writer. Construct views through parse(): once it succeeds, every accessor is in bounds.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

using MacAddress = std::array<std::uint8_t, 6>;
inline constexpr MacAddress kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

namespace ethertype {
inline constexpr std::uint16_t kIpv4 = 0x0800;
inline constexpr std::uint16_t kArp = 0x0806;
inline constexpr std::uint16_t kVlan = 0x8100;  // an IEEE 802.1Q tag follows
inline constexpr std::uint16_t kIpv6 = 0x86dd;
}  // namespace ethertype

// Read-only view of an Ethernet II header (no 802.1Q tag is interpreted: a tagged frame reports
// ethertype::kVlan, and its payload starts with the tag's last two bytes and the inner type).
class EthernetView {
public:
  static constexpr std::size_t kHeader = 14;
  static constexpr std::size_t kVlanTag = 4;
  // Accepts any frame of at least kHeader bytes.
  static std::optional<EthernetView> parse(ByteView bytes);

  MacAddress dst() const;
  MacAddress src() const;
  std::uint16_t ethertype() const;
  // A frame with one 802.1Q tag (ethertype() is ethertype::kVlan): the EtherType behind the tag,
  // nullopt when the tag is cut short. Its payload starts kVlanTag bytes into payload().
  std::optional<std::uint16_t> tagged_ethertype() const;
  ByteView payload() const { return b_.subspan(kHeader); }
  ByteView bytes() const { return b_; }

private:
  explicit EthernetView(ByteView b) : b_(b) {}
  ByteView b_;
};

// Writes a 14-byte Ethernet II header at `out` (>= 14 bytes).
void write_ethernet_header(MutableByteView out, const MacAddress& dst, const MacAddress& src, std::uint16_t ethertype);

}  // namespace tunlab
