#include "tunlab/wire/packet_builder.hpp"

#include <algorithm>
#include <cstring>

#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab {

namespace {

constexpr std::size_t kIpHeader = 20;
constexpr std::size_t kUdpHeader = UdpView::kHeader;
constexpr std::size_t kIcmpHeader = IcmpView::kHeader;
constexpr std::size_t kTcpHeader = TcpView::kMinHeader;
// RFC 1812 §4.3.2.3: an ICMP error, IP header included, stays within the minimum reassembly size.
constexpr std::size_t kIcmpErrorLimit = 576;

// Byte i = high byte ^ low byte of (seed' + i * golden ratio): deterministic, seed-dependent, and
// not a short cycle, so a reordered or shifted payload never compares equal by accident.
void fill_pattern(MutableByteView out, std::uint32_t seed) {
  const std::uint32_t base = seed ^ 0x5bd1e995u;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint32_t x = base + static_cast<std::uint32_t>(i) * 0x9e3779b1u;
    out[i] = static_cast<std::uint8_t>((x >> 24) ^ x);
  }
}

Packet start_packet(std::size_t total, const Ipv4HeaderFields& fields) {
  Packet packet = Packet::with_size(total);
  write_ipv4_header(packet.mutable_bytes(), fields, static_cast<std::uint16_t>(total));
  return packet;
}

bool is_multicast_or_reserved(std::uint32_t host_order) {
  return (host_order >> 28) >= 0xe;
}

// Options a non-first fragment carries: only those with the copy flag (RFC 791 §3.1). Returns the
// options length written, padded with End-of-Option-List to a multiple of 4. A malformed list
// copies what parsed cleanly; the receiving stack will reject the packet anyway.
std::size_t copied_options(ByteView options, std::uint8_t* out) {
  std::size_t written = 0;
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t type = options[i];
    if (type == 0) {
      break;
    }
    if (type == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= options.size() || options[i + 1] < 2 || i + options[i + 1] > options.size()) {
      break;
    }
    const std::size_t length = options[i + 1];
    if ((type & 0x80) != 0) {
      std::memcpy(out + written, options.data() + i, length);
      written += length;
    }
    i += length;
  }
  const std::size_t padded = (written + 3) & ~std::size_t{3};
  std::memset(out + written, 0, padded - written);
  return padded;
}

Packet make_fragment(const Ipv4View& ip, ByteView header, ByteView data, std::size_t offset, bool mf,
                     std::uint32_t origin) {
  const std::size_t total = header.size() + data.size();
  Packet fragment = Packet::with_size(total);
  std::uint8_t* p = fragment.data();
  std::memcpy(p, header.data(), header.size());
  std::memcpy(p + header.size(), data.data(), data.size());
  p[0] = static_cast<std::uint8_t>(0x40 | (header.size() / 4));
  store_be16(p + 2, static_cast<std::uint16_t>(total));
  const auto flags = static_cast<std::uint16_t>((ip.df() ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (offset / 8));
  store_be16(p + 6, flags);
  ipv4_edit::recompute_checksum(fragment.mutable_bytes());
  fragment.origin = origin;
  return fragment;
}

}  // namespace

Packet build_udp(const UdpSpec& spec) {
  const std::size_t udp_length = kUdpHeader + spec.payload_size;
  Packet packet = start_packet(kIpHeader + udp_length, {.src = spec.src,
                                                        .dst = spec.dst,
                                                        .protocol = ipproto::kUdp,
                                                        .tos = spec.tos,
                                                        .ttl = spec.ttl,
                                                        .id = spec.id,
                                                        .df = spec.df});
  std::uint8_t* udp = packet.data() + kIpHeader;
  store_be16(udp, spec.src_port);
  store_be16(udp + 2, spec.dst_port);
  store_be16(udp + 4, static_cast<std::uint16_t>(udp_length));
  store_be16(udp + 6, 0);
  fill_pattern({udp + kUdpHeader, spec.payload_size}, spec.payload_seed);
  const std::uint32_t pseudo = pseudo_header_sum(spec.src, spec.dst, ipproto::kUdp, udp_length);
  const std::uint16_t sum = internet_checksum({udp, udp_length}, pseudo);
  // RFC 768: a computed zero is sent as all ones; zero means "no checksum".
  store_be16(udp + 6, sum == 0 ? 0xffff : sum);
  return packet;
}

Packet build_icmp_echo(const IcmpEchoSpec& spec) {
  const std::size_t data_size = spec.data.empty() ? spec.payload_size : spec.data.size();
  const std::size_t icmp_length = kIcmpHeader + data_size;
  Packet packet = start_packet(kIpHeader + icmp_length, {.src = spec.src,
                                                         .dst = spec.dst,
                                                         .protocol = ipproto::kIcmp,
                                                         .tos = spec.tos,
                                                         .ttl = spec.ttl,
                                                         .id = spec.id,
                                                         .df = spec.df});
  std::uint8_t* icmp = packet.data() + kIpHeader;
  icmp[0] = spec.reply ? icmp::kEchoReply : icmp::kEchoRequest;
  icmp[1] = 0;
  store_be16(icmp + 2, 0);
  store_be16(icmp + 4, spec.ident);
  store_be16(icmp + 6, spec.sequence);
  // The payload depends on the sequence only: a kernel ping socket rewrites the identifier, and the
  // real backend's echo requests must carry the same bytes as the simulator's.
  if (spec.data.empty()) {
    fill_pattern({icmp + kIcmpHeader, data_size}, spec.sequence);
  } else {
    std::memcpy(icmp + kIcmpHeader, spec.data.data(), data_size);
  }
  store_be16(icmp + 2, internet_checksum({icmp, icmp_length}));
  return packet;
}

Packet build_tcp(const TcpSpec& spec) {
  const std::size_t tcp_length = kTcpHeader + spec.payload_size;
  Packet packet = start_packet(kIpHeader + tcp_length, {.src = spec.src,
                                                        .dst = spec.dst,
                                                        .protocol = ipproto::kTcp,
                                                        .tos = spec.tos,
                                                        .ttl = spec.ttl,
                                                        .id = spec.id,
                                                        .df = spec.df});
  std::uint8_t* tcp = packet.data() + kIpHeader;
  std::memset(tcp, 0, kTcpHeader);
  store_be16(tcp, spec.src_port);
  store_be16(tcp + 2, spec.dst_port);
  store_be32(tcp + 4, spec.seq);
  store_be32(tcp + 8, spec.ack);
  tcp[12] = static_cast<std::uint8_t>((kTcpHeader / 4) << 4);
  tcp[13] = spec.flags;
  store_be16(tcp + 14, 0xffff);  // window: the simulated stacks do no flow control
  fill_pattern({tcp + kTcpHeader, spec.payload_size}, spec.seq);
  const std::uint32_t pseudo = pseudo_header_sum(spec.src, spec.dst, ipproto::kTcp, tcp_length);
  store_be16(tcp + 16, internet_checksum({tcp, tcp_length}, pseudo));
  return packet;
}

Packet build_icmp_error(Ipv4Address src, Ipv4Address dst, std::uint8_t type, std::uint8_t code, std::uint16_t mtu,
                        ByteView offending, std::uint8_t ttl) {
  // Quote no bytes past the offending datagram's own end (link padding is not part of it).
  std::size_t available = offending.size();
  if (const auto ip = Ipv4View::parse(offending); ip && ip->total_length() >= ip->header_length()) {
    available = std::min<std::size_t>(available, ip->total_length());
  }
  const std::size_t quote = std::min(available, kIcmpErrorLimit - kIpHeader - kIcmpHeader);
  const std::size_t icmp_length = kIcmpHeader + quote;
  Packet packet =
      start_packet(kIpHeader + icmp_length, {.src = src, .dst = dst, .protocol = ipproto::kIcmp, .ttl = ttl});
  std::uint8_t* icmp = packet.data() + kIpHeader;
  icmp[0] = type;
  icmp[1] = code;
  store_be16(icmp + 2, 0);
  store_be16(icmp + 4, 0);
  store_be16(icmp + 6, type == icmp::kDestUnreachable && code == icmp::kFragNeeded ? mtu : 0);
  if (quote != 0) {
    std::memcpy(icmp + kIcmpHeader, offending.data(), quote);
  }
  store_be16(icmp + 2, internet_checksum({icmp, icmp_length}));
  return packet;
}

bool may_send_icmp_error_about(ByteView offending) {
  const auto ip = Ipv4View::parse(offending);
  if (!ip) {
    return false;
  }
  if (ip->fragment_offset_bytes() != 0) {
    return false;
  }
  const std::uint32_t dst = ip->dst_raw();
  if (dst == 0xffffffffu || is_multicast_or_reserved(dst)) {
    return false;
  }
  // RFC 1122 §3.2.2: the source must name a single host, or the error would go nowhere or to many.
  const std::uint32_t src = ip->src_raw();
  if (src == 0 || src == 0xffffffffu || is_multicast_or_reserved(src)) {
    return false;
  }
  if (ip->protocol() == ipproto::kIcmp) {
    const ByteView rest = offending.subspan(ip->header_length());
    if (!rest.empty() && is_icmp_error_type(rest[0])) {  // the type alone decides, header or not
      return false;
    }
  }
  return true;
}

void fragment_ipv4(const Packet& packet, std::size_t mtu, std::vector<Packet>& out) {
  const auto ip = Ipv4View::parse(packet.bytes());
  if (!ip || packet.size() <= mtu) {
    out.push_back(packet);
    return;
  }
  const ByteView first_header = ip->header();
  // Later fragments carry only the options whose copy flag is set (RFC 791 §3.1).
  std::uint8_t later_header_bytes[60];
  std::memcpy(later_header_bytes, first_header.data(), kIpHeader);
  const std::size_t later_options = copied_options(first_header.subspan(kIpHeader), later_header_bytes + kIpHeader);
  const ByteView later_header{later_header_bytes, kIpHeader + later_options};

  const ByteView data = ip->payload();
  // Refragmenting a fragment: offsets continue from its own, and only its last piece keeps its MF.
  const std::size_t base = ip->fragment_offset_bytes();
  std::size_t done = 0;
  while (done < data.size()) {
    const ByteView header = done == 0 ? first_header : later_header;
    // Every piece but the last must be a multiple of 8 bytes; an MTU too small for 8 bytes of data
    // still makes progress rather than looping (RFC 791 guarantees 68, so this never happens).
    const std::size_t room = mtu > header.size() ? (mtu - header.size()) & ~std::size_t{7} : 0;
    const std::size_t piece = std::min(data.size() - done, std::max<std::size_t>(room, 8));
    const bool last = done + piece == data.size();
    out.push_back(make_fragment(*ip, header, data.subspan(done, piece), base + done, !last || ip->mf(), packet.origin));
    done += piece;
  }
}

}  // namespace tunlab
