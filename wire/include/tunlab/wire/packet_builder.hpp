// Builders for the few packets the simulated stacks and app B originate themselves (UDP datagrams,
// ICMP echo and errors, TCP segments). They write bytes directly because stacks call them per
// packet; tests check every builder against libtins' own serialisation.
#pragma once

#include <cstdint>

#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

struct UdpSpec {
  Ipv4Address src;
  Ipv4Address dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::size_t payload_size = 0;  // filled with a deterministic pattern of `payload_seed`
  std::uint32_t payload_seed = 0;
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  bool df = false;
};
Packet build_udp(const UdpSpec& spec);

struct IcmpEchoSpec {
  Ipv4Address src;
  Ipv4Address dst;
  std::uint16_t ident = 0;
  std::uint16_t sequence = 0;
  std::size_t payload_size = 56;  // filled with a deterministic pattern of `sequence`...
  ByteView data{};                // ...unless these bytes are given (a reply carries the request's)
  bool reply = false;
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  bool df = false;
};
Packet build_icmp_echo(const IcmpEchoSpec& spec);

struct TcpSpec {
  Ipv4Address src;
  Ipv4Address dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0x02;  // SYN
  std::size_t payload_size = 0;
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  bool df = true;
};
Packet build_tcp(const TcpSpec& spec);

// An ICMP error (RFC 792/1191) about `offending`, quoting its IP header and as much of its payload
// as keeps the error within 576 bytes (RFC 1812 §4.3.2.3, as Linux does). `mtu` is the next-hop
// MTU for icmp::kDestUnreachable / icmp::kFragNeeded and ignored otherwise.
Packet build_icmp_error(Ipv4Address src, Ipv4Address dst, std::uint8_t type, std::uint8_t code, std::uint16_t mtu,
                        ByteView offending, std::uint8_t ttl = 64);

// The RFC 792 rule: never answer an ICMP error, a non-first fragment, or a broadcast/multicast.
bool may_send_icmp_error_about(ByteView offending);

// Fragments `packet` (IPv4, DF clear) into pieces of at most `mtu` bytes (RFC 791), appending
// them to `out`. Each keeps packet.origin.
void fragment_ipv4(const Packet& packet, std::size_t mtu, std::vector<Packet>& out);

}  // namespace tunlab
