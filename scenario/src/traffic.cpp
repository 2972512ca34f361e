#include "tunlab/scenario/traffic.hpp"

#include "tunlab/wire/packet_builder.hpp"

namespace tunlab {

using scenario::TrafficKind;
using scenario::TrafficSpec;

Packet build_traffic_packet(const TrafficSpec& t, Ipv4Address src, std::uint32_t index, std::size_t spec_index) {
  const auto id = static_cast<std::uint16_t>(((spec_index + 1) << 10) + index + 1);
  switch (t.kind) {
    case TrafficKind::udp:
      return build_udp({.src = src,
                        .dst = t.dst,
                        .src_port = t.src_port,
                        .dst_port = t.dst_port,
                        .payload_size = t.size,
                        .payload_seed = index,
                        .tos = t.tos,
                        .ttl = t.ttl,
                        .id = id,
                        .df = t.df});
    case TrafficKind::icmp_echo:
      return build_icmp_echo({.src = src,
                              .dst = t.dst,
                              .ident = static_cast<std::uint16_t>(0x7000 + spec_index),
                              .sequence = static_cast<std::uint16_t>(index + 1),
                              .payload_size = t.size,
                              .reply = false,
                              .tos = t.tos,
                              .ttl = t.ttl,
                              .id = id,
                              .df = t.df});
    case TrafficKind::tcp:
      return build_tcp({.src = src,
                        .dst = t.dst,
                        .src_port = t.src_port,
                        .dst_port = t.dst_port,
                        .seq = 1000 + index,
                        .ack = 0,
                        .flags = t.tcp_flags,
                        .payload_size = t.size,
                        .tos = t.tos,
                        .ttl = t.ttl,
                        .id = id,
                        .df = t.df});
    case TrafficKind::raw:
    case TrafficKind::replay:
      break;
  }
  return Packet(t.raw);
}

}  // namespace tunlab
