// UDP (RFC 768) over raw bytes: a checked view, and the ports UDP shares with TCP. Construct views
// through parse(): once it succeeds, every accessor is in bounds.
#pragma once

#include <cstdint>
#include <optional>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Read-only view of a UDP header (the IPv4 payload of a first or only fragment).
class UdpView {
public:
  static constexpr std::size_t kHeader = 8;
  // Accepts kHeader bytes present; the length field and checksum are not checked here.
  static std::optional<UdpView> parse(ByteView bytes);

  std::uint16_t src_port() const;
  std::uint16_t dst_port() const;
  std::uint16_t length() const;
  std::uint16_t checksum() const;                           // 0: none sent
  ByteView payload() const { return b_.subspan(kHeader); }  // every byte after the header
  ByteView bytes() const { return b_; }

private:
  explicit UdpView(ByteView b) : b_(b) {}
  ByteView b_;
};

// UDP and TCP both open with the source and destination port: enough for callers that only match
// or count ports, even in a segment too short for either header.
struct TransportPorts {
  std::uint16_t src = 0;
  std::uint16_t dst = 0;
};
// The ports of a UDP or TCP segment; nullopt when fewer than 4 bytes are present.
std::optional<TransportPorts> transport_ports(ByteView segment);

}  // namespace tunlab
