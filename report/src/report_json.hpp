// Internal to the report: one IPv4 header as the report's JSON (short keys), and the identity
// of a packet across hops.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::report::detail {

using Json = nlohmann::ordered_json;

// (src, dst, protocol, id) of an IPv4 header: a packet's identity across routers and tunnels.
using HeaderKey = std::tuple<std::uint32_t, std::uint32_t, std::uint8_t, std::uint16_t>;

inline HeaderKey key_of(const Ipv4View& ip) {
  return {ip.src_raw(), ip.dst_raw(), ip.protocol(), ip.id()};
}

// The innermost header: the IPIP payload's when a header is there, else the packet's own.
inline Ipv4View innermost(const Ipv4View& ip) {
  if (ip.protocol() == ipproto::kIpip && ip.fragment_offset_bytes() == 0) {
    if (auto inner = Ipv4View::parse(ip.payload())) {
      return *inner;
    }
  }
  return ip;
}

// One header's fields, short keys (the report may hold thousands of hops).
inline Json header_json(const Ipv4View& ip) {
  Json h;
  h["s"] = ip.src().to_string();
  h["d"] = ip.dst().to_string();
  h["ttl"] = ip.ttl();
  h["tos"] = ip.tos();
  if (ip.df()) {
    h["df"] = 1;
  }
  if (ip.mf()) {
    h["mf"] = 1;
  }
  if (ip.fragment_offset_bytes() != 0) {
    h["off"] = ip.fragment_offset_bytes();
  }
  h["id"] = ip.id();
  h["len"] = ip.total_length();
  h["p"] = ip.protocol();
  const ByteView payload = ip.payload();
  if (ip.fragment_offset_bytes() != 0) {
    return h;
  }
  switch (ip.protocol()) {
    case ipproto::kUdp:
      if (const auto udp = UdpView::parse(payload)) {
        h["sp"] = udp->src_port();
        h["dp"] = udp->dst_port();
        h["pl"] = std::max<int>(0, ip.total_length() - static_cast<int>(ip.header_length()) - 8);
      }
      break;
    case ipproto::kTcp:
      if (const auto tcp = TcpView::parse(payload)) {
        h["sp"] = tcp->src_port();
        h["dp"] = tcp->dst_port();
        h["fl"] = tcp->flags();
      }
      break;
    case ipproto::kIcmp: {
      if (const auto icmp = IcmpView::parse(payload)) {
        h["it"] = icmp->type();
        h["ic"] = icmp->code();
        if (icmp->is_frag_needed()) {
          h["mtu"] = icmp->next_hop_mtu();
        }
        if (icmp->is_error()) {
          if (auto quoted = Ipv4View::parse(icmp->quoted())) {
            const Ipv4View in = innermost(*quoted);
            h["q"] = fmt::format("{} > {} proto {} id {}", in.src().to_string(), in.dst().to_string(), in.protocol(),
                                 in.id());
          }
        } else {
          h["seq"] = icmp->sequence();
        }
      }
      break;
    }
    default:
      break;
  }
  return h;
}

}  // namespace tunlab::report::detail
