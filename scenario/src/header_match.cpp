// Header matches: the one place a match rule is written (compare_header), and the words for them.
#include "header_match.hpp"

#include <algorithm>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "tunlab/scenario/run_result.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/udp.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

template <typename T>
std::string field_text(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_same_v<T, Ipv4Address>) {
    return value.to_string();
  } else {
    return std::to_string(static_cast<std::uint64_t>(value));
  }
}

// Compares `bytes` (an IPv4 packet) with `m`, calling miss(field, seen, wanted) for every field
// that differs (seen is "none" where the packet has no such field) until miss returns false.
// The one place a match rule is written: matching stops at the first miss, explaining collects them.
template <typename Miss>
void compare_header(const HeaderMatch& m, ByteView bytes, Miss&& miss) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip) {
    miss("ipv4", std::string("not a valid IPv4 packet"), std::string("an IPv4 packet"));
    return;
  }
  const auto check = [&](std::string_view field, const auto& want, const auto& seen) {
    if (want && *want != seen) {
      return miss(field, field_text(seen), field_text(*want));
    }
    return true;
  };
  if (!check("src", m.src, ip->src()) || !check("dst", m.dst, ip->dst()) ||
      !check("proto", m.protocol, ip->protocol()) || !check("ttl", m.ttl, ip->ttl()) ||
      !check("tos", m.tos, ip->tos()) || !check("ecn", m.ecn, ip->ecn()) || !check("dscp", m.dscp, ip->dscp()) ||
      !check("df", m.df, ip->df()) || !check("length", m.total_length, ip->total_length())) {
    return;
  }
  const ByteView payload = ip->payload();
  if (m.dst_port) {
    const auto ports = transport_ports(payload);
    if ((ip->protocol() != ipproto::kUdp && ip->protocol() != ipproto::kTcp) || !ports ||
        ip->fragment_offset_bytes() != 0) {
      if (!miss("dst_port", std::string("none"), field_text(*m.dst_port))) {
        return;
      }
    } else if (!check("dst_port", m.dst_port, std::uint64_t{ports->dst})) {
      return;
    }
  }
  if (m.icmp_type || m.icmp_code || m.icmp_mtu) {
    const auto icmp = ip->protocol() == ipproto::kIcmp ? IcmpView::parse(payload) : std::nullopt;
    if (!icmp) {
      miss("icmp", std::string("none"), std::string("an ICMP message"));
      return;
    }
    if (!check("icmp_type", m.icmp_type, icmp->type()) || !check("icmp_code", m.icmp_code, icmp->code()) ||
        !check("icmp_mtu", m.icmp_mtu, icmp->next_hop_mtu())) {
      return;
    }
  }
}

std::optional<ByteView> inner_packet(ByteView bytes) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip || ip->is_fragment()) {
    return std::nullopt;
  }
  if (ip->protocol() == ipproto::kIpip) {
    return ip->payload();
  }
  if (ip->protocol() == ipproto::kUdp) {
    const auto udp = UdpView::parse(ip->payload());
    if (udp && udp->payload().size() >= 20 && (udp->payload()[0] >> 4) == 4) {
      return udp->payload();  // IP in UDP: the datagram is the inner packet
    }
  }
  return std::nullopt;
}

bool header_matches(const HeaderMatch& m, ByteView bytes) {
  bool ok = true;
  compare_header(m, bytes, [&ok](std::string_view, const std::string&, const std::string&) { return ok = false; });
  return ok;
}

// Every field of `m` and `inner` the packet does not have, as "ttl 64 (want 7)".
std::vector<std::string> mismatches(const HeaderMatch& outer, const HeaderMatch& inner, ByteView bytes) {
  std::vector<std::string> out;
  const auto collect = [&out](std::string_view prefix) {
    return [&out, prefix](std::string_view field, const std::string& seen, const std::string& want) {
      out.push_back(fmt::format("{}{} {} (want {})", prefix, field, seen, want));
      return true;
    };
  };
  compare_header(outer, bytes, collect(""));
  if (!inner.empty()) {
    if (const auto carried = inner_packet(bytes)) {
      compare_header(inner, *carried, collect("inner "));
    } else {
      out.emplace_back("inner: none (not a whole IPIP or IP-in-UDP packet)");
    }
  }
  return out;
}

// The fields a hop expectation can look at, for one packet ("src 18.12.0.92 dst ... len 112").
std::string header_fields(ByteView bytes) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip) {
    return fmt::format("{} bytes, not IPv4", bytes.size());
  }
  std::string text =
      fmt::format("src {} dst {} proto {} ttl {} tos 0x{:02x} df {} len {}", ip->src().to_string(),
                  ip->dst().to_string(), ip->protocol(), ip->ttl(), ip->tos(), ip->df() ? 1 : 0, ip->total_length());
  const ByteView payload = ip->payload();
  const auto ports = transport_ports(payload);
  const auto icmp = IcmpView::parse(payload);
  if ((ip->protocol() == ipproto::kUdp || ip->protocol() == ipproto::kTcp) && ports &&
      ip->fragment_offset_bytes() == 0) {
    text += fmt::format(" dst_port {}", ports->dst);
  } else if (ip->protocol() == ipproto::kIcmp && icmp) {
    const std::uint16_t mtu = icmp->next_hop_mtu();
    text += fmt::format(" icmp {}/{}{}", icmp->type(), icmp->code(), mtu != 0 ? fmt::format(" mtu {}", mtu) : "");
  }
  if (const auto carried = inner_packet(bytes)) {
    text += " [" + header_fields(*carried) + "]";
  }
  return text;
}

}  // namespace

std::string describe_match(const HeaderMatch& m) {
  std::vector<std::string> parts;
  if (m.src) parts.push_back("src " + m.src->to_string());
  if (m.dst) parts.push_back("dst " + m.dst->to_string());
  if (m.protocol) parts.push_back(fmt::format("proto {}", *m.protocol));
  if (m.ttl) parts.push_back(fmt::format("ttl {}", *m.ttl));
  if (m.tos) parts.push_back(fmt::format("tos {:#04x}", *m.tos));
  if (m.ecn) parts.push_back(fmt::format("ecn {}", *m.ecn));
  if (m.dscp) parts.push_back(fmt::format("dscp {}", *m.dscp));
  if (m.df) parts.push_back(*m.df ? "df" : "no df");
  if (m.total_length) parts.push_back(fmt::format("length {}", *m.total_length));
  if (m.dst_port) parts.push_back(fmt::format("dst_port {}", *m.dst_port));
  if (m.icmp_type) parts.push_back(fmt::format("icmp_type {}", *m.icmp_type));
  if (m.icmp_code) parts.push_back(fmt::format("icmp_code {}", *m.icmp_code));
  if (m.icmp_mtu) parts.push_back(fmt::format("icmp_mtu {}", *m.icmp_mtu));
  return join(parts, " ");
}

std::string closest_packets(const HeaderMatch& outer, const HeaderMatch& inner,
                            const std::vector<std::vector<std::uint8_t>>& packets) {
  std::vector<std::pair<std::size_t, std::size_t>> ranked;  // (differing fields, index)
  std::vector<std::vector<std::string>> misses(packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    misses[i] = mismatches(outer, inner, packets[i]);
    if (!misses[i].empty()) {
      ranked.emplace_back(misses[i].size(), i);
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string text;
  for (std::size_t k = 0; k < std::min<std::size_t>(3, ranked.size()); ++k) {
    const std::size_t i = ranked[k].second;
    std::string differs;
    for (const std::string& m : misses[i]) {
      differs += (differs.empty() ? "" : ", ") + m;
    }
    text += fmt::format("{}packet {}: {} -- differs: {}", text.empty() ? "" : "; ", i + 1, header_fields(packets[i]),
                        differs);
  }
  return text;
}

}  // namespace tunlab::scenario::detail

namespace tunlab {

bool matches(const scenario::HeaderMatch& outer, const scenario::HeaderMatch& inner, ByteView ip_packet) {
  if (!scenario::detail::header_matches(outer, ip_packet)) {
    return false;
  }
  if (inner.empty()) {
    return true;
  }
  const auto carried = scenario::detail::inner_packet(ip_packet);
  return carried && scenario::detail::header_matches(inner, *carried);
}

}  // namespace tunlab
