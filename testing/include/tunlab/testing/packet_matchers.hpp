// GMock matchers for packets, for tunlab's tests and other projects' tests. Each accepts a
// tunlab::Packet, a std::vector<std::uint8_t>, a ByteView or a sim::HopRecord's bytes, and
// explains a mismatch in words ("outer source is 18.12.0.1").
//
//   EXPECT_THAT(hop_bytes, IsIpip("18.12.0.92", "18.13.0.91", IsUdpTo("10.0.0.22", 9000)));
//   EXPECT_THAT(back_at_app_a, IsIcmpError(3, 4, 1480));
//   EXPECT_THAT(packet, AllOf(HasTtl(63), HasDf(true)));
#pragma once

#include <gmock/gmock.h>

#include <string>
#include <vector>

#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::testing {

inline ByteView packet_bytes(const Packet& p) {
  return p.bytes();
}
inline ByteView packet_bytes(const std::vector<std::uint8_t>& v) {
  return v;
}
inline ByteView packet_bytes(ByteView v) {
  return v;
}

namespace detail {
inline std::vector<std::uint8_t> copy(ByteView v) {
  return {v.begin(), v.end()};
}
}  // namespace detail

// An IPv4 packet of protocol 4 from `src` to `dst` (dotted strings or Ipv4Address).
MATCHER_P2(IsIpipPacket, src, dst,
           std::string(negation ? "isn't" : "is") + " an IPIP packet " + Ipv4Address(src).to_string() + " -> " +
               Ipv4Address(dst).to_string()) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  if (ip->protocol() != ipproto::kIpip) {
    *result_listener << "whose protocol is " << int{ip->protocol()};
    return false;
  }
  if (ip->src() != Ipv4Address(src) || ip->dst() != Ipv4Address(dst)) {
    *result_listener << "whose outer addresses are " << ip->src().to_string() << " -> " << ip->dst().to_string();
    return false;
  }
  return true;
}

// An IPIP packet from `src` to `dst` whose inner packet matches `inner` (a matcher on bytes).
MATCHER_P3(IsIpip, src, dst, inner,
           std::string(negation ? "isn't" : "is") + " an IPIP packet " + Ipv4Address(src).to_string() + " -> " +
               Ipv4Address(dst).to_string() + " carrying a packet that " +
               ::testing::DescribeMatcher<std::vector<std::uint8_t>>(inner)) {
  if (!::testing::ExplainMatchResult(IsIpipPacket(src, dst), arg, result_listener)) {
    return false;
  }
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  *result_listener << "whose inner packet ";
  return ::testing::ExplainMatchResult(inner, detail::copy(ip->payload()), result_listener);
}

// A UDP datagram (not a non-first fragment) to `dst`:`port`.
MATCHER_P2(IsUdpTo, dst, port,
           std::string(negation ? "isn't" : "is") + " a UDP datagram to " + Ipv4Address(dst).to_string() + ":" +
               std::to_string(port)) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  const auto udp = ip && ip->protocol() == ipproto::kUdp ? UdpView::parse(ip->payload()) : std::nullopt;
  if (!udp || ip->fragment_offset_bytes() != 0) {
    *result_listener << "which is not a UDP datagram";
    return false;
  }
  const int got_port = udp->dst_port();
  if (ip->dst() != Ipv4Address(dst) || got_port != static_cast<int>(port)) {
    *result_listener << "which goes to " << ip->dst().to_string() << ":" << got_port;
    return false;
  }
  return true;
}

// An ICMP error of `type`/`code`; for 3/4 also the next-hop MTU (pass 0 to accept any).
MATCHER_P3(IsIcmpError, type, code, mtu,
           std::string(negation ? "isn't" : "is") + " an ICMP " + std::to_string(type) + "/" + std::to_string(code) +
               (mtu != 0 ? " with MTU " + std::to_string(mtu) : std::string())) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  const auto icmp = ip && ip->protocol() == ipproto::kIcmp ? IcmpView::parse(ip->payload()) : std::nullopt;
  if (!icmp) {
    *result_listener << "which is not an ICMP message";
    return false;
  }
  if (icmp->type() != type || icmp->code() != code || (mtu != 0 && icmp->next_hop_mtu() != mtu)) {
    *result_listener << "which is ICMP " << int{icmp->type()} << "/" << int{icmp->code()} << " MTU "
                     << icmp->next_hop_mtu();
    return false;
  }
  return true;
}

MATCHER_P(HasTtl, ttl, std::string(negation ? "hasn't" : "has") + " TTL " + std::to_string(ttl)) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  *result_listener << "whose TTL is " << int{ip->ttl()};
  return ip->ttl() == ttl;
}

MATCHER_P(HasTos, tos, std::string(negation ? "hasn't" : "has") + " TOS " + std::to_string(tos)) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  *result_listener << "whose TOS is " << int{ip->tos()};
  return ip->tos() == tos;
}

MATCHER_P(HasDf, df, std::string(negation ? "hasn't" : "has") + " DF " + (df ? "set" : "clear")) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  *result_listener << "whose DF is " << (ip->df() ? "set" : "clear");
  return ip->df() == df;
}

// The DSCP (TOS >> 2) and the ECN field (TOS & 3), apart: what RFC 2983 and RFC 6040 speak of.
MATCHER_P(HasDscp, dscp, std::string(negation ? "hasn't" : "has") + " DSCP " + std::to_string(dscp)) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  *result_listener << "whose DSCP is " << (ip->tos() >> 2);
  return (ip->tos() >> 2) == dscp;
}

MATCHER_P(HasEcn, ecn, std::string(negation ? "hasn't" : "has") + " ECN field " + std::to_string(ecn)) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  *result_listener << "whose ECN field is " << (ip->tos() & 3);
  return (ip->tos() & 3) == ecn;
}

// The IPv4 protocol number (4 IPIP, 17 UDP, ipproto::kIcmp...).
MATCHER_P(HasProtocol, protocol, std::string(negation ? "isn't" : "is") + " of protocol " + std::to_string(protocol)) {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  *result_listener << "whose protocol is " << int{ip->protocol()};
  return ip->protocol() == protocol;
}

// An IPv4 header whose checksum is right (what a kernel checks before anything else).
MATCHER(HasValidIpv4Checksum, std::string(negation ? "hasn't" : "has") + " a valid IPv4 header checksum") {
  const auto ip = Ipv4View::parse(packet_bytes(arg));
  if (!ip) {
    *result_listener << "which is not an IPv4 packet";
    return false;
  }
  if (!ip->header_checksum_ok()) {
    *result_listener << "whose header checksum does not add up";
    return false;
  }
  return true;
}

}  // namespace tunlab::testing
