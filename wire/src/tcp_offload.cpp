#include "tunlab/wire/tcp_offload.hpp"

#include <cstring>

#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab {

namespace {

constexpr std::size_t kTcpMinHeader = 20;
constexpr std::size_t kMaxIpLength = 65535;
constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::uint8_t kTcpAck = 0x10;
constexpr std::uint8_t kTcpCwr = 0x80;
constexpr std::size_t kTcpFlagsAt = 13;
constexpr std::size_t kTcpChecksumAt = 16;

// The one's-complement sum folded to 16 bits, not complemented: what a NEEDS_CSUM field holds.
std::uint16_t fold_uncomplemented(std::uint32_t sum) {
  return static_cast<std::uint16_t>(~checksum_fold(sum) & 0xffff);
}

// IPv4 + TCP header lengths of a well-formed, unfragmented TCP/IPv4 packet whose IP total length
// equals the bytes present; 0 otherwise.
std::size_t tcp4_header_length(ByteView bytes) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip || ip->protocol() != ipproto::kTcp || ip->is_fragment() || ip->total_length() != bytes.size()) {
    return 0;
  }
  const std::size_t ihl = ip->header_length();
  if (bytes.size() < ihl + kTcpMinHeader) {
    return 0;
  }
  const std::size_t doff = static_cast<std::size_t>(bytes[ihl + 12] >> 4) * 4;
  if (doff < kTcpMinHeader || bytes.size() < ihl + doff) {
    return 0;
  }
  return ihl + doff;
}

std::uint16_t tcp4_checksum(ByteView packet, std::size_t ihl) {
  const auto ip = Ipv4View::parse(packet);
  const ByteView tcp = packet.subspan(ihl);
  return internet_checksum(tcp, pseudo_header_sum(ip->src(), ip->dst(), ipproto::kTcp, tcp.size()));
}

}  // namespace

bool complete_checksum(MutableByteView packet, std::size_t start, std::size_t offset) {
  if (start > packet.size() || offset + 2 > packet.size() - start) {
    return false;
  }
  const std::uint16_t sum = internet_checksum(packet.subspan(start));
  store_be16(packet.data() + start + offset, sum);
  return true;
}

std::size_t segment_tcp4(const Packet& super, std::uint16_t segment_size, std::vector<Packet>& pool) {
  const ByteView bytes = super.bytes();
  const std::size_t header_length = tcp4_header_length(bytes);
  if (header_length == 0 || segment_size == 0) {
    return 0;
  }
  const std::size_t ihl = static_cast<std::size_t>(bytes[0] & 0x0f) * 4;
  const std::size_t payload = bytes.size() - header_length;
  const std::size_t count = payload == 0 ? 1 : (payload + segment_size - 1) / segment_size;
  if (pool.size() < count) {
    pool.resize(count);
  }
  const std::uint16_t first_id = load_be16(bytes.data() + 4);
  const std::uint32_t first_seq = load_be32(bytes.data() + ihl + 4);
  const std::uint8_t flags = bytes[ihl + kTcpFlagsAt];
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t offset = i * segment_size;
    const std::size_t length = std::min<std::size_t>(segment_size, payload - std::min(payload, offset));
    Packet& segment = pool[i];
    segment.resize(0);
    segment.assign(bytes.first(header_length));
    segment.resize(header_length + length);
    std::memcpy(segment.data() + header_length, bytes.data() + header_length + offset, length);
    segment.origin = super.origin;
    std::uint8_t* p = segment.data();
    store_be16(p + 2, static_cast<std::uint16_t>(header_length + length));
    store_be16(p + 4, static_cast<std::uint16_t>(first_id + i));
    ipv4_edit::recompute_checksum(MutableByteView(p, ihl));
    store_be32(p + ihl + 4, static_cast<std::uint32_t>(first_seq + offset));
    std::uint8_t segment_flags = flags;
    if (i != 0) {
      segment_flags = static_cast<std::uint8_t>(segment_flags & ~kTcpCwr);
    }
    if (i + 1 != count) {
      segment_flags = static_cast<std::uint8_t>(segment_flags & ~(kTcpFin | kTcpPsh));
    }
    p[ihl + kTcpFlagsAt] = segment_flags;
    store_be16(p + ihl + kTcpChecksumAt, 0);
    store_be16(p + ihl + kTcpChecksumAt, tcp4_checksum(segment.bytes(), ihl));
  }
  return count;
}

bool fill_tcp4_checksum(Packet& packet) {
  if (tcp4_header_length(packet.bytes()) == 0) {
    return false;
  }
  const std::size_t ihl = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
  store_be16(packet.data() + ihl + kTcpChecksumAt, 0);
  store_be16(packet.data() + ihl + kTcpChecksumAt, tcp4_checksum(packet.bytes(), ihl));
  return true;
}

bool describe_tcp4_super_packet(Packet& packet, std::size_t mtu) {
  const std::size_t header_length = tcp4_header_length(packet.bytes());
  if (header_length == 0 || mtu <= header_length || packet.size() <= mtu) {
    return false;
  }
  const auto segment_size = static_cast<std::uint16_t>(mtu - header_length);
  const std::size_t ihl = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
  if (tcp4_checksum(packet.bytes(), ihl) != 0) {
    return false;
  }
  const auto ip = Ipv4View::parse(packet.bytes());
  store_be16(packet.data() + ihl + kTcpChecksumAt,
             fold_uncomplemented(pseudo_header_sum(ip->src(), ip->dst(), ipproto::kTcp, packet.size() - ihl)));
  OffloadInfo& offload = packet.offload;
  offload = OffloadInfo{};
  offload.gso_type = GsoType::tcpv4;
  offload.needs_checksum = true;
  offload.header_length = static_cast<std::uint16_t>(header_length);
  offload.segment_size = segment_size;
  offload.checksum_start = static_cast<std::uint16_t>(ihl);
  offload.checksum_offset = static_cast<std::uint16_t>(kTcpChecksumAt);
  return true;
}

void TcpCoalescer::add(Packet&& packet) {
  const std::size_t header_length = tcp4_header_length(packet.bytes());
  // Only plain data segments coalesce: IPv4 without options (as GRO), payload, ACK or ACK|PSH,
  // and a TCP checksum that holds (the GSO write tells the kernel not to check it again).
  bool candidate = header_length != 0 && (packet[0] & 0x0f) == 5 && packet.size() > header_length;
  if (candidate) {
    const std::uint8_t flags = packet[20 + kTcpFlagsAt];
    candidate = (flags == kTcpAck || flags == (kTcpAck | kTcpPsh)) && tcp4_checksum(packet.bytes(), 20) == 0;
  }
  std::uint32_t flow_hash = 0;
  if (candidate) {
    // Addresses and ports, folded: a cheap first filter before the byte comparisons.
    flow_hash = load_be32(packet.data() + 12) ^ load_be32(packet.data() + 16) ^ load_be32(packet.data() + 20);
    // The flow's most recent item is the only one a segment may join (earlier ones are closed
    // by what followed them); any earlier item of the flow keeps its place.
    for (std::size_t i = count_; i-- > 0;) {
      Item& item = items_[i];
      if (item.flow_hash != flow_hash || item.header_length == 0 ||
          std::memcmp(item.packet.data() + 12, packet.data() + 12, 12) != 0) {
        continue;
      }
      if (item.open && try_append(item, packet, header_length)) {
        return;
      }
      break;
    }
  }
  if (count_ == items_.size()) {
    items_.emplace_back();
  }
  Item& item = items_[count_++];
  if (candidate) {
    // Copied into the item's own buffer, which keeps the capacity earlier batches grew it to.
    item.packet.assign(packet.bytes());
    item.packet.origin = packet.origin;
    item.packet.offload = packet.offload;
  } else {
    std::swap(item.packet, packet);
  }
  item.flow_hash = flow_hash;
  item.segments = 1;
  if (!candidate) {
    item.open = false;
    item.header_length = 0;
    return;
  }
  const std::size_t payload = item.packet.size() - header_length;
  item.header_length = static_cast<std::uint16_t>(header_length);
  item.segment_size = static_cast<std::uint16_t>(payload);
  item.next_seq = static_cast<std::uint32_t>(load_be32(item.packet.data() + 24) + payload);
  item.open = (item.packet[20 + kTcpFlagsAt] & kTcpPsh) == 0;
}

bool TcpCoalescer::try_append(Item& item, const Packet& packet, std::size_t header_length) {
  const std::uint8_t* a = item.packet.data();
  const std::uint8_t* b = packet.data();
  const std::size_t payload = packet.size() - header_length;
  if (header_length != item.header_length || payload > item.segment_size ||
      item.packet.size() + payload > kMaxIpLength) {
    return false;
  }
  // IPv4: TOS (ECN included), flags/fragment offset, TTL and protocol equal; the ID continues
  // the first segment's (so segmenting again restores it).
  if (a[1] != b[1] || std::memcmp(a + 6, b + 6, 4) != 0 ||
      load_be16(b + 4) != static_cast<std::uint16_t>(load_be16(a + 4) + item.segments)) {
    return false;
  }
  // TCP: the next sequence number, the same ACK number, data offset, window and urgent
  // pointer; flags equal but for PSH; options byte for byte (timestamps included).
  const std::uint8_t* ta = a + 20;
  const std::uint8_t* tb = b + 20;
  if (load_be32(tb + 4) != item.next_seq || std::memcmp(ta + 8, tb + 8, 5) != 0 ||
      (ta[kTcpFlagsAt] | kTcpPsh) != (tb[kTcpFlagsAt] | kTcpPsh) || std::memcmp(ta + 14, tb + 14, 2) != 0 ||
      std::memcmp(ta + 18, tb + 18, header_length - 20 - 18) != 0) {
    return false;
  }
  Packet& head = item.packet;
  const std::size_t at = head.size();
  // Grown once to the largest super-packet, not segment by segment.
  head.reserve(kMaxIpLength);
  head.resize(at + payload);
  std::memcpy(head.data() + at, b + header_length, payload);
  // The kernel's GRO carries PSH (and FIN) of the last segment onto the merged header.
  head.data()[20 + kTcpFlagsAt] = static_cast<std::uint8_t>(head.data()[20 + kTcpFlagsAt] | tb[kTcpFlagsAt]);
  ++item.segments;
  item.next_seq = static_cast<std::uint32_t>(item.next_seq + payload);
  if (payload < item.segment_size || (tb[kTcpFlagsAt] & kTcpPsh) != 0) {
    item.open = false;
  }
  return true;
}

void TcpCoalescer::finish(Item& item) {
  Packet& packet = item.packet;
  packet.offload = OffloadInfo{};
  if (item.segments < 2) {
    return;
  }
  std::uint8_t* p = packet.data();
  store_be16(p + 2, static_cast<std::uint16_t>(packet.size()));
  ipv4_edit::recompute_checksum(MutableByteView(p, 20));
  const auto ip = Ipv4View::parse(packet.bytes());
  const std::size_t tcp_length = packet.size() - 20;
  store_be16(p + 20 + kTcpChecksumAt,
             fold_uncomplemented(pseudo_header_sum(ip->src(), ip->dst(), ipproto::kTcp, tcp_length)));
  OffloadInfo& offload = packet.offload;
  offload.gso_type = GsoType::tcpv4;
  offload.needs_checksum = true;
  offload.header_length = item.header_length;
  offload.segment_size = item.segment_size;
  offload.checksum_start = 20;
  offload.checksum_offset = static_cast<std::uint16_t>(kTcpChecksumAt);
}

}  // namespace tunlab
