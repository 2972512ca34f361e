// Internal to the report: one IPv4 header as the report's JSON (short keys), and the identity
// of a packet across hops.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::report::detail {

using Json = nlohmann::ordered_json;

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoIpip = 4;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;

// (src, dst, protocol, id) of an IPv4 header: a packet's identity across routers and tunnels.
using HeaderKey = std::tuple<std::uint32_t, std::uint32_t, std::uint8_t, std::uint16_t>;

inline HeaderKey key_of(const Ipv4View& ip) {
  return {ip.src_raw(), ip.dst_raw(), ip.protocol(), ip.id()};
}

// The innermost header: the IPIP payload's when a header is there, else the packet's own.
inline Ipv4View innermost(const Ipv4View& ip) {
  if (ip.protocol() == kProtoIpip && ip.fragment_offset_bytes() == 0) {
    if (auto inner = Ipv4View::parse(ip.payload())) {
      return *inner;
    }
  }
  return ip;
}

inline std::uint16_t be16(ByteView b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

inline bool is_icmp_error(std::uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
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
    case kProtoUdp:
      if (payload.size() >= 8) {
        h["sp"] = be16(payload, 0);
        h["dp"] = be16(payload, 2);
        h["pl"] = std::max<int>(0, ip.total_length() - static_cast<int>(ip.header_length()) - 8);
      }
      break;
    case kProtoTcp:
      if (payload.size() >= 20) {
        h["sp"] = be16(payload, 0);
        h["dp"] = be16(payload, 2);
        h["fl"] = payload[13];
      }
      break;
    case kProtoIcmp: {
      IcmpInfo icmp;
      if (parse_icmp(payload, icmp)) {
        h["it"] = icmp.type;
        h["ic"] = icmp.code;
        if (icmp.type == 3 && icmp.code == 4) {
          h["mtu"] = icmp.mtu;
        }
        if (is_icmp_error(icmp.type)) {
          if (auto quoted = Ipv4View::parse(icmp.quoted)) {
            const Ipv4View in = innermost(*quoted);
            h["q"] = fmt::format("{} > {} proto {} id {}", in.src().to_string(), in.dst().to_string(), in.protocol(),
                                 in.id());
          }
        } else {
          h["seq"] = icmp.sequence;
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
