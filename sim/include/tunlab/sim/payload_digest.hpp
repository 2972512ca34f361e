// A cheap fingerprint of an application payload, so a run can check that what app C received is
// byte for byte what app A sent without keeping every payload twice.
#pragma once

#include <cstdint>
#include <optional>

#include "tunlab/ipv4.hpp"
#include "tunlab/packet.hpp"

namespace tunlab::sim {

// FNV-1a over the bytes: not cryptographic, but a single flipped bit always changes it.
inline std::uint64_t payload_digest(ByteView payload) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::uint8_t byte : payload) {
    hash = (hash ^ byte) * 0x100000001b3ULL;
  }
  return hash;
}

// The UDP or TCP payload of a whole (unfragmented) IPv4 packet; nullopt for anything else.
inline std::optional<ByteView> transport_payload(ByteView ip_packet) {
  const auto ip = Ipv4View::parse(ip_packet);
  if (!ip || ip->is_fragment()) {
    return std::nullopt;
  }
  const ByteView segment = ip->payload();
  std::size_t header = 0;
  if (ip->protocol() == ipproto::kUdp) {
    header = 8;
  } else if (ip->protocol() == ipproto::kTcp && segment.size() >= 20) {
    header = static_cast<std::size_t>(segment[12] >> 4) * 4;
  } else {
    return std::nullopt;
  }
  if (segment.size() < header) {
    return std::nullopt;
  }
  return segment.subspan(header);
}

}  // namespace tunlab::sim
