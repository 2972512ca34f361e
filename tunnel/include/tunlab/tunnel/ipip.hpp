// The IPIP encapsulator, decapsulator and ICMP relay (RFC 2003, RFC 6040, RFC 4459) as pure
// functions of configuration + state + packet -> actions. No I/O, no clock reads: the engine
// carries the actions out, and tests check them directly.
#pragma once

#include <cstdint>
#include <vector>

#include "tunlab/tunnel/drop_reason.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"
#include "tunlab/tunnel/underlay.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

struct TunnelAction {
  enum class Kind {
    send_outer,    // underlay.send(outer, packet): packet is the inner packet or an inner fragment
    write_device,  // device.write(packet): a decapsulated packet or an ICMP error for the inner source
    drop,          // the packet dies here; reason says why; packet.origin says whose it was
  };
  Kind kind = Kind::drop;
  OuterHeader outer;
  Packet packet;
  DropReason reason = DropReason::encap_malformed_inner;
  // write_device: an ICMP error app B made (frag-needed, a relay), not a packet it carried.
  bool generated = false;
};

// Reused by the caller between packets so the steady state allocates nothing.
using TunnelActions = std::vector<TunnelAction>;

// Soft state of one tunnel endpoint.
struct TunnelState {
  std::uint16_t next_outer_id = 1;   // RFC 6864: generated here, never copied from the inner header
  std::uint64_t outer_ids_used = 0;  // outer packets made so far (how far back IDs are ours)
  std::size_t path_mtu = 0;          // 0 = nothing learned; use config.underlay_mtu
  std::int64_t path_mtu_learned_at_ns = 0;
};

// Tunnel MTU = path MTU - 20, never below 68 (docs/rfc2003-ipip.md, encapsulation 7).
std::size_t tunnel_mtu(const TunnelConfig& config, const TunnelState& state, std::int64_t now_ns);

// tun0 -> raw socket. Appends the actions for one packet read from the device.
void encapsulate(const TunnelConfig& config, TunnelState& state, Packet&& inner, std::int64_t now_ns,
                 TunnelActions& out);

// Super-packet mode (config.super_packets): one TCP super-packet with a complete checksum, sent
// whole. The inner checks and the TOS/ECN, TTL and ID rules are encapsulate()'s; the outer DF is
// clear and fragment_size is the path MTU, so the underlay sends outer fragments.
void encapsulate_super_packet(const TunnelConfig& config, TunnelState& state, Packet&& inner, std::int64_t now_ns,
                              TunnelActions& out);
// raw socket -> tun0. `outer` is a whole received outer packet. Appends write_device or drop.
void decapsulate(const TunnelConfig& config, Packet&& outer, TunnelActions& out);

// What relay_icmp_error did with an ICMP error about one of our outer packets.
enum class RelayOutcome {
  relayed,        // an ICMP error went to the inner source (write_device action appended)
  mtu_learned,    // 3/4: path MTU updated; the quote was too short to relay (next packet gets it)
  not_relayed,    // a type/code RFC 2003 §4 says not to relay (3/3, 3/5, redirect, quench ...)
  foreign_quote,  // the quoted outer header is not one of ours: ignored
  implausible,    // 3/4 quoting an outer ID we did not send recently (RFC 5927): ignored
  malformed,      // the quote is too short to say whose packet it was
};
std::string_view to_string(RelayOutcome outcome);

// ICMP error about an outer packet (RFC 2003 §4-5). `quoted` is the offending packet as quoted by
// the reporter: outer header first.
RelayOutcome relay_icmp_error(const TunnelConfig& config, TunnelState& state, const UnderlayError& error,
                              ByteView quoted, std::int64_t now_ns, TunnelActions& out);

}  // namespace tunlab
