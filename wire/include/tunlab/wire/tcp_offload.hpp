// TCP segmentation and coalescing over packet bytes: the user-space halves of the kernel's TSO
// and GRO, so a tunnel can take 64 KB super-packets from a TUN device and hand them back. Pure
// functions and one small batch object; no I/O. The rules follow the kernel:
//   - segment_tcp4: tcp_gso_segment + inet_gso_segment (net/ipv4/tcp_offload.c, af_inet.c),
//   - TcpCoalescer: tcp_gro_receive + inet_gro_receive, as tools/testing/selftests/net/gro.c
//     checks them,
// so that segmenting what the coalescer built gives back the original packets byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tunlab/wire/offload.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Completes a partial transport checksum in place (a NEEDS_CSUM read): sums the bytes from
// `start` to the end (the field at start + offset already holds the pseudo-header sum) and
// stores the complement there. False, and nothing written, when start/offset do not fit.
bool complete_checksum(MutableByteView packet, std::size_t start, std::size_t offset);

// Splits an IPv4 TCP super-packet into real packets of at most `segment_size` payload bytes.
// Segment i gets IPv4 ID + i, its own total length and header checksum, sequence number
// + i * segment_size, CWR only on the first, FIN and PSH only on the last, and a full TCP
// checksum (the super-packet's own checksum field is ignored: it may be partial). The header
// length comes from the bytes (IHL, data offset), never from the kernel's hdr_len.
// Writes the segments into pool[0..n) (growing the pool, reusing its packets' buffers; each
// keeps `super`'s origin) and returns n; 0 when the bytes are not a well-formed IPv4 TCP packet
// or segment_size is 0. A super-packet whose payload fits one segment yields one packet.
std::size_t segment_tcp4(const Packet& super, std::uint16_t segment_size, std::vector<Packet>& pool);

// Makes a whole TCP/IPv4 packet (any size up to 65535) carry a full, valid TCP checksum,
// computed from scratch (a TSO super-packet's field holds only a partial sum). False when the
// bytes are not a well-formed unfragmented TCP/IPv4 packet.
bool fill_tcp4_checksum(Packet& packet);

// Describes a whole TCP/IPv4 packet larger than `mtu` as a super-packet for a GSO write, in
// segments of at most `mtu` bytes, the way TcpCoalescer::flush hands one out. Requires a valid
// TCP checksum (a corrupt packet is left alone, for the kernel to drop). False, packet
// unchanged, otherwise.
bool describe_tcp4_super_packet(Packet& packet, std::size_t mtu);

// Coalesces the inner TCP segments of one receive batch, flow by flow, into super-packets for
// one GSO write each (the reverse of segment_tcp4). A segment joins the flow's open
// super-packet when, as in the kernel's GRO: IPv4 without options or fragmentation, same
// addresses, ports, TOS (ECN included), TTL, DF, IPv4 ID = first ID + count, sequence number
// = the next expected, same acknowledgment number, window and TCP options, flags ACK (PSH
// allowed, and then it ends the super-packet), payload no larger than the first segment's
// (a shorter one ends the super-packet), a valid TCP checksum (a corrupt segment is passed on
// alone so the kernel drops it), and the result stays within 65535 bytes.
class TcpCoalescer {
public:
  TcpCoalescer() = default;

  // Takes one decapsulated packet (any protocol; only TCP/IPv4 ever coalesces).
  void add(Packet&& packet);
  // Hands every packet out (as a Packet&), in the order each super-packet's first segment
  // arrived (so each flow keeps its order), and empties the batch. A super-packet has offload
  // tcpv4 with needs_checksum (checksum_start = IHL, offset 16, the pseudo-header sum in the
  // field), segment_size = the first segment's payload, header_length = IP + TCP header; a
  // packet that joined nothing is handed out unchanged with offload none. What emit leaves in
  // the packet's buffer is reused by the next batch: a super-packet's 64 KB buffer freed per
  // write makes glibc hand the heap top back to the kernel and grow it again, and on these
  // machines each shrink is a TLB-shootdown IPI (a third of the receiving tunnel's time).
  template <typename Emit>
  void flush(Emit&& emit) {
    for (std::size_t i = 0; i < count_; ++i) {
      finish(items_[i]);
      emit(items_[i].packet);
    }
    count_ = 0;
  }
  std::size_t size() const { return count_; }

private:
  struct Item {
    Packet packet;
    bool open = false;  // more segments may join
    std::uint32_t flow_hash = 0;
    std::uint32_t next_seq = 0;
    std::uint16_t segment_size = 0;
    std::uint16_t segments = 0;
    std::uint16_t header_length = 0;
  };
  static void finish(Item& item);
  static bool try_append(Item& item, const Packet& packet, std::size_t header_length);

  std::vector<Item> items_;  // [0, count_) in use; the rest keep their buffers for reuse
  std::size_t count_ = 0;
};

}  // namespace tunlab
