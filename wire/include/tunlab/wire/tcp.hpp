// TCP (RFC 793) header access over raw bytes: flag bits and a checked view. Construct views
// through parse(): once it succeeds, every accessor is in bounds.
#pragma once

#include <cstdint>
#include <optional>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
}  // namespace tcp_flag

// Read-only view of a TCP header (the IPv4 payload of a first or only fragment).
class TcpView {
public:
  static constexpr std::size_t kMinHeader = 20;
  // Accepts kMinHeader bytes present; the data offset is not checked here (see payload()).
  static std::optional<TcpView> parse(ByteView bytes);

  std::uint16_t src_port() const;
  std::uint16_t dst_port() const;
  std::uint32_t seq() const;
  std::uint32_t ack() const;
  std::size_t header_length() const { return static_cast<std::size_t>(b_[12] >> 4) * 4; }  // data offset
  std::uint8_t flags() const { return b_[13]; }
  std::uint16_t window() const;
  std::uint16_t checksum() const;
  // The bytes past the data offset; empty when the offset points past the end.
  ByteView payload() const;
  ByteView bytes() const { return b_; }

private:
  explicit TcpView(ByteView b) : b_(b) {}
  ByteView b_;
};

}  // namespace tunlab
