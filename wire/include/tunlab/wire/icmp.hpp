// ICMP for IPv4 (RFC 792, RFC 1191) over raw bytes: named types and codes, the one rule for which
// types are errors, and a checked view. Construct views through parse(): once it succeeds, every
// accessor is in bounds.
#pragma once

#include <cstdint>
#include <optional>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

namespace icmp {
// Types.
inline constexpr std::uint8_t kEchoReply = 0;
inline constexpr std::uint8_t kDestUnreachable = 3;
inline constexpr std::uint8_t kSourceQuench = 4;
inline constexpr std::uint8_t kRedirect = 5;
inline constexpr std::uint8_t kEchoRequest = 8;
inline constexpr std::uint8_t kTimeExceeded = 11;
inline constexpr std::uint8_t kParameterProblem = 12;
// Codes of kDestUnreachable.
inline constexpr std::uint8_t kNetUnreachable = 0;
inline constexpr std::uint8_t kHostUnreachable = 1;
inline constexpr std::uint8_t kProtocolUnreachable = 2;
inline constexpr std::uint8_t kPortUnreachable = 3;
inline constexpr std::uint8_t kFragNeeded = 4;  // RFC 1191: the next-hop MTU is in the header
inline constexpr std::uint8_t kSourceRouteFailed = 5;
// Codes of kTimeExceeded.
inline constexpr std::uint8_t kTtlExceeded = 0;
inline constexpr std::uint8_t kReassemblyTimeExceeded = 1;
}  // namespace icmp

// The error types, which quote the offending packet and are never answered with an error.
constexpr bool is_icmp_error_type(std::uint8_t type) {
  return type == icmp::kDestUnreachable || type == icmp::kSourceQuench || type == icmp::kRedirect ||
         type == icmp::kTimeExceeded || type == icmp::kParameterProblem;
}

// Read-only view of an ICMP message (the IPv4 payload).
class IcmpView {
public:
  static constexpr std::size_t kHeader = 8;
  // Accepts any message of at least kHeader bytes; the checksum is not checked here.
  static std::optional<IcmpView> parse(ByteView bytes);

  std::uint8_t type() const { return b_[0]; }
  std::uint8_t code() const { return b_[1]; }
  std::uint16_t checksum() const;
  std::uint32_t rest_of_header() const;  // bytes 4-7, host order
  bool is_error() const { return is_icmp_error_type(type()); }
  bool is_echo() const { return type() == icmp::kEchoRequest || type() == icmp::kEchoReply; }
  bool is_frag_needed() const { return type() == icmp::kDestUnreachable && code() == icmp::kFragNeeded; }
  // Echo request/reply identifier and sequence number; 0 for other types.
  std::uint16_t ident() const { return is_echo() ? static_cast<std::uint16_t>(rest_of_header() >> 16) : 0; }
  std::uint16_t sequence() const { return is_echo() ? static_cast<std::uint16_t>(rest_of_header()) : 0; }
  // The next-hop MTU of a fragmentation-needed error; 0 for other messages.
  std::uint16_t next_hop_mtu() const { return is_frag_needed() ? static_cast<std::uint16_t>(rest_of_header()) : 0; }
  // What follows the header: echo data, or the packet an error quotes.
  ByteView payload() const { return b_.subspan(kHeader); }
  // The packet an error quotes; empty for other types.
  ByteView quoted() const { return is_error() ? payload() : ByteView{}; }
  bool checksum_ok() const;
  ByteView bytes() const { return b_; }

private:
  explicit IcmpView(ByteView b) : b_(b) {}
  ByteView b_;
};

}  // namespace tunlab
