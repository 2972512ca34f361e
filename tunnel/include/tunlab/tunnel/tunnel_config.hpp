// Configuration of one IPIP tunnel endpoint (app B): endpoints and the outer-header policies of
// RFC 2003 / RFC 6040 / Linux ip_tunnel. Defaults follow the RFCs, not Linux, where they differ.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tunlab/wire/ipv4.hpp"

namespace tunlab {

enum class TtlMode { fixed, inherit };  // inherit = Linux "ttl 0": outer TTL = inner TTL
enum class TosMode { copy, fixed };     // copy = RFC 2003 §3.1; fixed = Linux default
enum class EcnMode { normal, compat };  // RFC 6040 §4.1 normal mode / compatibility mode

struct TunnelConfig {
  Ipv4Address local;   // outer source; our endpoint (18.12.0.92 in the seed)
  Ipv4Address remote;  // outer destination; the peer (18.13.0.91)
  // Source of ICMP errors app B writes back into the device (frag-needed, relayed errors): the
  // tunnel interface's own address, as the kernel would choose for errors about tun0's traffic.
  Ipv4Address inner_address;

  TtlMode ttl_mode = TtlMode::fixed;
  std::uint8_t ttl = 64;
  TosMode tos_mode = TosMode::copy;
  std::uint8_t tos = 0;  // with TosMode::fixed: the whole TOS byte (DSCP + ECN bits)
  EcnMode ecn_mode = EcnMode::normal;
  // Outer DF = pmtudisc || inner DF (Linux). RFC 2003 requires DF when the inner DF is set.
  bool pmtudisc = false;

  // MTU of the path to the remote endpoint (the underlay interface MTU until ICMP says less).
  std::size_t underlay_mtu = 1500;
  // How long a learned path MTU holds before it expires back to underlay_mtu (Linux: 10 min).
  std::int64_t pmtu_expiry_ns = 600'000'000'000;
  // A 3/4 never teaches a path MTU below this (Linux net.ipv4.route.min_pmtu, 552): one forged
  // "MTU 68" must not shrink the tunnel to 48 bytes of payload (RFC 5927 §7).
  std::size_t min_pmtu = 552;
  // A 3/4 is believed only when its quoted outer ID is one of the last this many IDs the tunnel
  // sent (RFC 5927 §7: check what the quote lets you check). IDs are sequential, so this is a window.
  std::uint16_t pmtu_id_window = 8192;

  // Opt-in super-packet mode (`tunlab tunnel --super-packets`): a TCP super-packet read from the
  // device leaves as ONE inner packet in one outer datagram, which the underlay fragments at the
  // path MTU; the peer's kernel reassembles it and the peer writes it back as one GSO write.
  // Departs from RFC 2003: outer DF clear even when the inner DF is set, inner packets larger
  // than the tunnel MTU on the wire, no frag-needed to the inner sender. Both ends must be tunlab.
  bool super_packets = false;

  // RFC 6169: refuse inner packets from martian sources (0/8, 127/8, 224/4, 255.255.255.255).
  bool reject_martian_inner = true;
};

inline constexpr std::size_t kOuterHeaderLength = 20;
inline constexpr std::size_t kMinimumTunnelMtu = 68;

}  // namespace tunlab
