// Test support shared by the suites: packets built by libtins (the independent oracle), byte
// comparisons that print a hex dump on failure, and reference checksum and reassembly code that
// shares nothing with the implementation under test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tins/ip.h>
#include <tins/pdu.h>

#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab::test {

using Bytes = std::vector<std::uint8_t>;

// What libtins writes for `pdu` (it fills in lengths and checksums). Set an IP source: libtins
// asks the host's routing table for one when it is 0.
Bytes serialize(Tins::PDU& pdu);
// The same bytes in a Packet, tagged with `origin`.
Packet to_packet(Tins::PDU& pdu, std::uint32_t origin = 0);

// `n` bytes of a fixed pattern (never constant, differs per seed), for payloads of libtins packets.
Bytes pattern_bytes(std::size_t n, std::uint32_t seed = 0);

// Fields of an IPv4 test packet; defaults are a plain UDP datagram between two private hosts.
// A 0.0.0.0 source works (libtins alone would substitute a host address).
struct IpSpec {
  Ipv4Address src{"10.0.0.12"};
  Ipv4Address dst{"10.0.0.22"};
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0x1234;
  bool df = false;
  std::uint16_t src_port = 40000;
  std::uint16_t dst_port = 5001;
  std::uint32_t payload_seed = 7;
};
// An IPv4/UDP packet of exactly `total_size` bytes (>= 28) built with libtins.
Tins::IP make_udp_ip(std::size_t total_size, const IpSpec& spec = {});
Bytes make_udp_bytes(std::size_t total_size, const IpSpec& spec = {});
// An IPv4 packet of `total_size` bytes (>= 20) whose payload is raw pattern bytes, protocol 253
// (RFC 3692 experimentation): for tests that only care about the IP layer.
Bytes make_raw_ip_bytes(std::size_t total_size, const IpSpec& spec = {});

// `inner` behind an outer IPv4 header written by libtins (protocol 4 unless told otherwise).
struct OuterSpec {
  Ipv4Address src{"18.13.0.91"};
  Ipv4Address dst{"18.12.0.92"};
  std::uint8_t protocol = 4;
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 1;
  bool df = false;
};
Bytes wrap_outer(std::span<const std::uint8_t> inner, const OuterSpec& spec = {});
// `inner` as the payload of one UDP datagram to `dst_port` (IP in UDP), written by libtins.
Bytes wrap_udp(std::span<const std::uint8_t> inner, std::uint16_t dst_port, const OuterSpec& spec = {});

// RFC 1071 checksum written out plainly (word by word, fold at the end), for checking results
// without trusting tunlab's own checksum code. 0 over a block that includes its checksum = valid.
std::uint16_t reference_checksum(std::span<const std::uint8_t> bytes, std::uint32_t initial = 0);
// True when the IPv4 header checksum and the UDP/TCP/ICMP checksum of `packet` verify (other
// protocols and fragments: header only). UDP checksum 0 (none) is accepted.
bool checksums_ok(std::span<const std::uint8_t> packet);

// Rewrites the IPv4 source of `packet` and fixes the header checksum and, for an unfragmented
// UDP or TCP packet, the transport checksum.
void set_source(Bytes& packet, Ipv4Address source);

// libtins is the oracle; tunlab's address type converts through the same network-order integer.
inline Tins::IPv4Address tins_address(Ipv4Address address) {
  return Tins::IPv4Address(static_cast<std::uint32_t>(address));
}
inline Ipv4Address from_tins(Tins::IPv4Address address) {
  return Ipv4Address(static_cast<std::uint32_t>(address));
}

// Reassembles IPv4 fragments (any order) into the original datagram with a reference algorithm:
// nullopt on a gap, overlap, inconsistent header fields or a missing last fragment.
std::optional<Bytes> reassemble(std::span<const Packet> fragments);

// "0000  45 00 00 54 ..." 16 bytes a line.
std::string hex_dump(std::span<const std::uint8_t> bytes);
// Equal bytes, or a failure naming the first differing offset with both hex dumps.
::testing::AssertionResult bytes_equal(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> actual);

}  // namespace tunlab::test
