#include "tunlab/tunnel/ipip.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab {

namespace {

constexpr std::uint8_t kEcnMask = 0x03;
constexpr std::uint8_t kOptionEnd = 0;
constexpr std::uint8_t kOptionNop = 1;
constexpr std::uint8_t kOptionLsrr = 131;
constexpr std::uint8_t kOptionSsrr = 137;
// An error is relayed only when the quote identifies the inner flow: its header and 8 bytes
// (RFC 2003 §4, RFC 792).
constexpr std::size_t kQuotedTransportBytes = 8;

void append_drop(TunnelActions& out, Packet&& packet, DropReason reason) {
  TunnelAction& action = out.emplace_back();
  action.kind = TunnelAction::Kind::drop;
  action.packet = std::move(packet);
  action.reason = reason;
}

void append_write(TunnelActions& out, Packet&& packet, bool generated = false) {
  TunnelAction& action = out.emplace_back();
  action.kind = TunnelAction::Kind::write_device;
  action.packet = std::move(packet);
  action.generated = generated;
}

void append_send(TunnelActions& out, const OuterHeader& outer, Packet&& packet) {
  TunnelAction& action = out.emplace_back();
  action.kind = TunnelAction::Kind::send_outer;
  action.outer = outer;
  action.packet = std::move(packet);
}

// --- encapsulation -------------------------------------------------------------------------------

std::uint8_t outer_tos(const TunnelConfig& config, std::uint8_t inner_tos) {
  // RFC 6040 §4.1: the ECN field follows the mode even when the DSCP is fixed, so a fixed TOS
  // contributes only its DSCP and a congested inner flow stays visible to the underlay's AQM.
  const std::uint8_t dscp = config.tos_mode == TosMode::copy ? inner_tos : config.tos;
  const std::uint8_t ecn_bits = config.ecn_mode == EcnMode::normal ? (inner_tos & kEcnMask) : ecn::kNotEct;
  return static_cast<std::uint8_t>((dscp & ~kEcnMask) | ecn_bits);
}

std::uint8_t outer_ttl(const TunnelConfig& config, std::uint8_t inner_ttl) {
  // A fixed TTL of 0 would make every outer packet die at the first hop; Linux reads it as inherit.
  if (config.ttl_mode == TtlMode::inherit || config.ttl == 0) {
    return inner_ttl;
  }
  return config.ttl;
}

OuterHeader make_outer(const TunnelConfig& config, TunnelState& state, const Ipv4View& inner) {
  OuterHeader outer;
  outer.src = config.local;
  outer.dst = config.remote;
  outer.ttl = outer_ttl(config, inner.ttl());
  outer.tos = outer_tos(config, inner.tos());
  outer.id = state.next_outer_id++;  // RFC 6864: ours, wraps; never the inner ID
  ++state.outer_ids_used;
  outer.df = config.pmtudisc || inner.df();
  return outer;
}

// Parses a packet read from the device, trimming bytes past its total length. nullopt and `reason`
// set when the packet may not be tunnelled.
std::optional<Ipv4View> checked_inner(const TunnelConfig& config, Packet& inner, DropReason& reason) {
  if (!inner.empty() && ip_version(inner.bytes()) != 4) {
    reason = DropReason::encap_not_ipv4;
    return std::nullopt;
  }
  auto ip = Ipv4View::parse(inner.bytes());
  if (!ip || ip->total_length() > inner.size() || ip->total_length() < ip->header_length()) {
    reason = DropReason::encap_malformed_inner;
    return std::nullopt;
  }
  if (ip->total_length() < inner.size()) {
    inner.resize(ip->total_length());
    ip = Ipv4View::parse(inner.bytes());
  }
  if (ip->ttl() == 0) {
    reason = DropReason::encap_inner_ttl_zero;
    return std::nullopt;
  }
  if (ip->is_fragment() && ip->fragment_offset_bytes() + ip->total_length() > 0xffff) {
    // Its refragments could not say where they belong (the 13-bit offset would wrap).
    reason = DropReason::fragment_past_64k;
    return std::nullopt;
  }
  if (ip->src() == config.local || ip->src() == config.remote) {
    // RFC 2003 §3.2 / RFC 6169: our own outer traffic coming back in would loop forever.
    reason = DropReason::encap_inner_source_is_endpoint;
    return std::nullopt;
  }
  return ip;
}

void encapsulate_fragments(const TunnelConfig& config, TunnelState& state, const Packet& inner, std::size_t mtu,
                           TunnelActions& out) {
  // Fragmenting allocates a packet per piece; this is the rare path, not the steady state.
  std::vector<Packet> fragments;
  fragment_ipv4(inner, mtu, fragments);
  for (Packet& fragment : fragments) {
    const Ipv4View ip = *Ipv4View::parse(fragment.bytes());
    const OuterHeader outer = make_outer(config, state, ip);
    append_send(out, outer, std::move(fragment));
  }
}

// --- decapsulation -------------------------------------------------------------------------------

bool is_martian(std::uint32_t src) {
  const std::uint32_t first_octet = src >> 24;
  // 0/8 "this network", 127/8 loopback, 224/4 multicast and 240/4 reserved (255.255.255.255 too).
  return first_octet == 0 || first_octet == 127 || first_octet >= 224;
}

bool has_source_route(const Ipv4View& ip) {
  const ByteView options = ip.header().subspan(Ipv4View::kMinHeader);
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t type = options[i];
    if (type == kOptionEnd) {
      return false;
    }
    if (type == kOptionNop) {
      ++i;
      continue;
    }
    if (type == kOptionLsrr || type == kOptionSsrr) {
      return true;
    }
    // A malformed option list is the receiving stack's to reject (parameter problem); we only
    // look for the options RFC 6169 says a tunnel must not let through.
    if (i + 1 >= options.size() || options[i + 1] < 2) {
      return false;
    }
    i += options[i + 1];
  }
  return false;
}

// RFC 6040 §4.2 (table 2). Returns false when the packet must be dropped.
bool combine_ecn(std::uint8_t outer_ecn, std::uint8_t inner_ecn, std::uint8_t& result) {
  result = inner_ecn;
  if (outer_ecn == ecn::kCe) {
    if (inner_ecn == ecn::kNotEct) {
      return false;
    }
    result = ecn::kCe;
  } else if (outer_ecn == ecn::kEct1 && inner_ecn == ecn::kEct0) {
    result = ecn::kEct1;
  }
  return true;
}

std::optional<DropReason> check_inner(const TunnelConfig& config, Packet& inner) {
  if (inner.size() < Ipv4View::kMinHeader) {
    return DropReason::decap_inner_too_short;
  }
  if (ip_version(inner.bytes()) != 4) {
    return DropReason::decap_inner_bad_version;
  }
  const auto ip = Ipv4View::parse(inner.bytes());
  if (!ip) {
    return DropReason::decap_inner_bad_ihl;
  }
  if (!ip->header_checksum_ok()) {
    return DropReason::decap_inner_bad_checksum;
  }
  if (ip->total_length() > inner.size() || ip->total_length() < ip->header_length()) {
    return DropReason::decap_inner_truncated;
  }
  if (ip->ttl() == 0) {
    return DropReason::decap_inner_ttl_zero;
  }
  if (ip->is_fragment() && ip->fragment_offset_bytes() + ip->total_length() > 0xffff) {
    return DropReason::fragment_past_64k;
  }
  if (config.reject_martian_inner &&
      (is_martian(ip->src_raw()) || ip->src() == config.local || ip->src() == config.remote)) {
    return DropReason::decap_inner_martian_source;
  }
  if (has_source_route(*ip)) {
    return DropReason::decap_inner_source_route;
  }
  if (ip->total_length() < inner.size()) {
    inner.resize(ip->total_length());
  }
  return std::nullopt;
}

// --- ICMP relay ----------------------------------------------------------------------------------

// RFC 1191 §7: for a 3/4 without a next-hop MTU, guess the plateau below the rejected size.
std::size_t plateau_below(std::size_t rejected_size) {
  constexpr std::array<std::size_t, 11> kPlateaus{65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
  for (const std::size_t plateau : kPlateaus) {
    if (plateau < rejected_size) {
      return plateau;
    }
  }
  return kPlateaus.back();
}

void learn_path_mtu(const TunnelConfig& config, TunnelState& state, const Ipv4View& quoted_outer,
                    std::uint16_t reported, std::int64_t now_ns) {
  std::size_t mtu = reported != 0 ? reported : plateau_below(quoted_outer.total_length());
  // Never below min_pmtu (Linux's net.ipv4.route.min_pmtu, 552), nor below what keeps the tunnel
  // MTU at the IPv4 minimum of 68: a forged tiny MTU cannot shrink the tunnel (RFC 5927 §7).
  mtu = std::max({mtu, config.min_pmtu, kMinimumTunnelMtu + kOuterHeaderLength});
  // RFC 1191 §3: a Datagram Too Big never raises the estimate; only expiry (§6.3) does.
  const std::size_t current = tunnel_mtu(config, state, now_ns) + kOuterHeaderLength;
  state.path_mtu = std::min(mtu, current);
  state.path_mtu_learned_at_ns = now_ns;
}

// Is `id` one of the last config.pmtu_id_window outer IDs this tunnel used? IDs are handed out in
// sequence (make_outer), so the IDs in flight are the window just below next_outer_id.
bool recently_sent(const TunnelConfig& config, const TunnelState& state, std::uint16_t id) {
  const std::uint64_t window = std::min<std::uint64_t>(config.pmtu_id_window, state.outer_ids_used);
  const auto age = static_cast<std::uint16_t>(state.next_outer_id - id);  // 1 = the last one sent
  return age >= 1 && age <= window;
}

// What to send the inner source for an error about the tunnel, per RFC 2003 §4. nullopt: nothing.
struct RelayAs {
  std::uint8_t type;
  std::uint8_t code;
};
std::optional<RelayAs> relay_as(std::uint8_t type, std::uint8_t code) {
  if (type == icmp::kDestUnreachable) {
    switch (code) {
      case icmp::kNetUnreachable:
      case icmp::kHostUnreachable:
      case icmp::kFragNeeded:
        return RelayAs{icmp::kDestUnreachable, code};
      case icmp::kProtocolUnreachable:
        // The remote endpoint does not speak IPIP: to the inner source its destination is unreachable
        // (RFC 2003 §4 allows 3/0 or 3/1; 3/1 as the far end, not a network, refused it).
        return RelayAs{icmp::kDestUnreachable, icmp::kHostUnreachable};
      default:
        // 3/3 (our protocol has no ports), 3/5 (we never source-route outer packets) and others say
        // nothing true about the inner destination.
        return std::nullopt;
    }
  }
  if (type == icmp::kTimeExceeded) {
    // The outer TTL is ours, not the sender's: tell it the destination is unreachable instead.
    return RelayAs{icmp::kDestUnreachable, icmp::kHostUnreachable};
  }
  // Redirects and source quench concern the underlay hop only. A parameter problem is relayed by
  // RFC 2003 only when its pointer falls in inner fields copied to the outer header; we copy none
  // verbatim (TOS and TTL are policy-driven), so it is never relayed.
  return std::nullopt;
}

}  // namespace

std::size_t tunnel_mtu(const TunnelConfig& config, const TunnelState& state, std::int64_t now_ns) {
  const bool learned = state.path_mtu != 0 && now_ns - state.path_mtu_learned_at_ns < config.pmtu_expiry_ns;
  const std::size_t path = learned ? state.path_mtu : config.underlay_mtu;
  return std::max(kMinimumTunnelMtu, path > kOuterHeaderLength ? path - kOuterHeaderLength : 0);
}

void encapsulate_super_packet(const TunnelConfig& config, TunnelState& state, Packet&& inner, std::int64_t now_ns,
                              TunnelActions& out) {
  DropReason reason{};
  const auto ip = checked_inner(config, inner, reason);
  if (!ip) {
    append_drop(out, std::move(inner), reason);
    return;
  }
  OuterHeader outer = make_outer(config, state, *ip);
  // The trade this mode makes: the outer datagram is fragmented on the way, so no outer DF.
  outer.df = false;
  outer.fragment_size = static_cast<std::uint16_t>(tunnel_mtu(config, state, now_ns) + kOuterHeaderLength);
  append_send(out, outer, std::move(inner));
}

void encapsulate(const TunnelConfig& config, TunnelState& state, Packet&& inner, std::int64_t now_ns,
                 TunnelActions& out) {
  DropReason reason{};
  const auto ip = checked_inner(config, inner, reason);
  if (!ip) {
    append_drop(out, std::move(inner), reason);
    return;
  }
  const std::size_t mtu = tunnel_mtu(config, state, now_ns);
  if (inner.size() <= mtu) {
    const OuterHeader outer = make_outer(config, state, *ip);
    append_send(out, outer, std::move(inner));
    return;
  }
  if (!ip->df()) {
    encapsulate_fragments(config, state, inner, mtu, out);
    return;
  }
  // RFC 2003 §5.1 / RFC 1191: tell the sender the tunnel MTU, unless the packet is itself one we
  // must never answer (an ICMP error, a broadcast ...).
  if (may_send_icmp_error_about(inner.bytes())) {
    Packet error = build_icmp_error(config.inner_address, ip->src(), icmp::kDestUnreachable, icmp::kFragNeeded,
                                    static_cast<std::uint16_t>(mtu), inner.bytes());
    error.origin = inner.origin;
    append_write(out, std::move(error), true);
  }
  append_drop(out, std::move(inner), DropReason::encap_too_big_df);
}

void decapsulate(const TunnelConfig& config, Packet&& outer, TunnelActions& out) {
  const auto ip = Ipv4View::parse(outer.bytes());
  // The kernel hands raw sockets only checksummed, reassembled datagrams; anything else is not one.
  if (!ip || !ip->header_checksum_ok() || ip->is_fragment() || ip->total_length() > outer.size() ||
      ip->total_length() < ip->header_length()) {
    append_drop(out, std::move(outer), DropReason::decap_malformed_outer);
    return;
  }
  if (ip->protocol() != ipproto::kIpip) {
    append_drop(out, std::move(outer), DropReason::decap_not_ipip);
    return;
  }
  if (ip->src() != config.remote) {
    append_drop(out, std::move(outer), DropReason::decap_unknown_peer);
    return;
  }
  if (ip->dst() != config.local) {
    append_drop(out, std::move(outer), DropReason::decap_wrong_destination);
    return;
  }
  const std::uint8_t outer_ecn = ip->ecn();
  const std::size_t header_length = ip->header_length();
  outer.resize(ip->total_length());
  outer.pull_front(header_length);
  Packet& inner = outer;
  if (const auto reason = check_inner(config, inner)) {
    append_drop(out, std::move(inner), *reason);
    return;
  }
  const std::uint8_t inner_tos = inner[1];
  std::uint8_t ecn_result = 0;
  if (!combine_ecn(outer_ecn, inner_tos & kEcnMask, ecn_result)) {
    append_drop(out, std::move(inner), DropReason::decap_ecn_ce_not_ect);
    return;
  }
  // Only the ECN field moves inward; the outer DSCP belongs to the underlay's domain (RFC 2983).
  const auto new_tos = static_cast<std::uint8_t>((inner_tos & ~kEcnMask) | ecn_result);
  if (new_tos != inner_tos) {
    ipv4_edit::set_tos(inner.mutable_bytes(), new_tos);
  }
  append_write(out, std::move(inner));
}

std::string_view to_string(RelayOutcome outcome) {
  switch (outcome) {
    case RelayOutcome::relayed:
      return "relayed";
    case RelayOutcome::mtu_learned:
      return "mtu-learned";
    case RelayOutcome::not_relayed:
      return "not-relayed";
    case RelayOutcome::foreign_quote:
      return "foreign-quote";
    case RelayOutcome::implausible:
      return "implausible";
    case RelayOutcome::malformed:
      return "malformed";
  }
  return "unknown";
}

RelayOutcome relay_icmp_error(const TunnelConfig& config, TunnelState& state, const UnderlayError& error,
                              ByteView quoted, std::int64_t now_ns, TunnelActions& out) {
  const auto outer = Ipv4View::parse(quoted);
  if (!outer) {
    return RelayOutcome::malformed;
  }
  // RFC 2003 §4: only errors about our own outer packets mean anything to this tunnel.
  if (outer->src() != config.local || outer->dst() != config.remote || outer->protocol() != ipproto::kIpip) {
    return RelayOutcome::foreign_quote;
  }
  const bool frag_needed = error.type == icmp::kDestUnreachable && error.code == icmp::kFragNeeded;
  if (frag_needed && !recently_sent(config, state, outer->id())) {
    return RelayOutcome::implausible;
  }
  if (frag_needed) {
    learn_path_mtu(config, state, *outer, error.mtu, now_ns);
  }
  const auto relay = relay_as(error.type, error.code);
  const ByteView inner_bytes = quoted.subspan(outer->header_length());
  const auto inner = Ipv4View::parse(inner_bytes);
  const bool enough = relay && inner && inner_bytes.size() >= inner->header_length() + kQuotedTransportBytes &&
                      may_send_icmp_error_about(inner_bytes);
  if (!enough) {
    return frag_needed ? RelayOutcome::mtu_learned : RelayOutcome::not_relayed;
  }
  const auto mtu = frag_needed ? static_cast<std::uint16_t>(tunnel_mtu(config, state, now_ns)) : std::uint16_t{0};
  append_write(out, build_icmp_error(config.inner_address, inner->src(), relay->type, relay->code, mtu, inner_bytes),
               true);
  return RelayOutcome::relayed;
}

}  // namespace tunlab
