// IPv4 header access over raw bytes. The hot path reads and writes fields in place; libtins is
// used to build and check packets, never per hop. Construct views through parse(): once it
// succeeds, every accessor is in bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/ipv4_address.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

namespace ipproto {
inline constexpr std::uint8_t kIcmp = 1;
inline constexpr std::uint8_t kIpip = 4;
inline constexpr std::uint8_t kTcp = 6;
inline constexpr std::uint8_t kUdp = 17;
}  // namespace ipproto

namespace ecn {
inline constexpr std::uint8_t kNotEct = 0;
inline constexpr std::uint8_t kEct1 = 1;
inline constexpr std::uint8_t kEct0 = 2;
inline constexpr std::uint8_t kCe = 3;
}  // namespace ecn

// RFC 1071 checksum over `bytes`, folded and complemented, in host order.
std::uint16_t internet_checksum(ByteView bytes, std::uint32_t initial = 0);
// The un-complemented 32-bit partial sum, to combine pseudo-headers with payloads.
std::uint32_t checksum_partial(ByteView bytes, std::uint32_t sum = 0);
std::uint16_t checksum_fold(std::uint32_t sum);
// The UDP/TCP pseudo-header sum (RFC 768, RFC 793) for a segment of `length` bytes, to pass as
// `initial` when checksumming the segment.
std::uint32_t pseudo_header_sum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol, std::size_t length);

// Read-only view of an IPv4 header whose length and IHL were checked by parse().
class Ipv4View {
public:
  static constexpr std::size_t kMinHeader = 20;
  // Accepts version 4, IHL >= 5 and header bytes present; total length is not checked here.
  // Inline: the simulator parses each packet a dozen times on its way.
  static std::optional<Ipv4View> parse(ByteView bytes) {
    if (bytes.size() < kMinHeader || (bytes[0] >> 4) != 4) {
      return std::nullopt;
    }
    const std::size_t ihl = static_cast<std::size_t>(bytes[0] & 0x0f) * 4;
    if (ihl < kMinHeader || ihl > bytes.size()) {
      return std::nullopt;
    }
    return Ipv4View(bytes);
  }

  std::uint8_t version() const { return b_[0] >> 4; }
  std::size_t header_length() const { return static_cast<std::size_t>(b_[0] & 0x0f) * 4; }
  std::uint8_t tos() const { return b_[1]; }
  std::uint8_t dscp() const { return b_[1] >> 2; }
  std::uint8_t ecn() const { return b_[1] & 0x03; }
  std::uint16_t total_length() const { return be16(2); }
  std::uint16_t id() const { return be16(4); }
  bool df() const { return (b_[6] & 0x40) != 0; }
  bool mf() const { return (b_[6] & 0x20) != 0; }
  std::uint16_t fragment_offset_bytes() const { return static_cast<std::uint16_t>((be16(6) & 0x1fff) * 8); }
  bool is_fragment() const { return mf() || (be16(6) & 0x1fff) != 0; }
  std::uint8_t ttl() const { return b_[8]; }
  std::uint8_t protocol() const { return b_[9]; }
  std::uint16_t checksum() const { return be16(10); }
  Ipv4Address src() const;
  Ipv4Address dst() const;
  std::uint32_t src_raw() const { return be32(12); }  // host order
  std::uint32_t dst_raw() const { return be32(16); }
  bool header_checksum_ok() const;
  ByteView header() const { return b_.first(header_length()); }
  // Payload up to min(total length, bytes present).
  ByteView payload() const;
  ByteView bytes() const { return b_; }

private:
  explicit Ipv4View(ByteView b) : b_(b) {}
  std::uint16_t be16(std::size_t at) const { return load_be16(b_.data() + at); }
  std::uint32_t be32(std::size_t at) const { return load_be32(b_.data() + at); }
  ByteView b_;
};

// The version nibble of an IP packet's first byte (4 for IPv4, 6 for IPv6), 0 for no bytes. Looks
// at nothing else, so it sorts packets Ipv4View::parse() would refuse.
inline std::uint8_t ip_version(ByteView bytes) {
  return bytes.empty() ? 0 : static_cast<std::uint8_t>(bytes[0] >> 4);
}

// Single fields read without Ipv4View::parse(): for bytes already known to hold an IPv4 header
// (a packet the caller built or parsed earlier) or being validated field by field. Each needs
// the bytes up to and including its field; none checks the version.
namespace ipv4_peek {
inline std::size_t header_length(ByteView bytes) {  // IHL * 4; needs 1 byte
  return static_cast<std::size_t>(bytes[0] & 0x0f) * 4;
}
inline std::uint16_t total_length(ByteView bytes) {  // needs 4 bytes
  return load_be16(bytes.data() + 2);
}
inline bool df(ByteView bytes) {  // needs 7 bytes
  return (bytes[6] & 0x40) != 0;
}
inline std::uint8_t ttl(ByteView bytes) {  // needs 9 bytes
  return bytes[8];
}
}  // namespace ipv4_peek

// In-place writers. Each requires a header already checked by Ipv4View::parse().
namespace ipv4_edit {
void set_ttl(MutableByteView header, std::uint8_t ttl);  // updates the checksum incrementally
void set_tos(MutableByteView header, std::uint8_t tos);  // updates the checksum incrementally
void recompute_checksum(MutableByteView header);
// A reassembled datagram's header: sets the total length, clears MF and the fragment offset
// (DF stays as it was) and recomputes the checksum.
void set_unfragmented(MutableByteView header, std::uint16_t total_length);
}  // namespace ipv4_edit

// Fields of an IPv4 header the caller chooses; write_ipv4_header fills in the rest.
struct Ipv4HeaderFields {
  Ipv4Address src;
  Ipv4Address dst;
  std::uint8_t protocol = 0;
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  bool df = false;
  bool mf = false;
  std::uint16_t fragment_offset_bytes = 0;  // multiple of 8
};
// Writes a 20-byte header with checksum at `out` (>= 20 bytes) for a packet of `total_length`.
void write_ipv4_header(MutableByteView out, const Ipv4HeaderFields& fields, std::uint16_t total_length);

std::uint32_t to_host_order(Ipv4Address address);
Ipv4Address from_host_order(std::uint32_t address);

}  // namespace tunlab
