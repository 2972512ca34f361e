// Builds the real run's sends from the scenario (see traffic_plan.hpp).
#include "traffic_plan.hpp"

#include <algorithm>
#include <array>

#include "tunlab/capture/capture.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/traffic.hpp"
#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/packet_builder.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::real {

namespace {

using scenario::TrafficKind;
using scenario::TrafficSpec;

void append(std::string& key, ByteView bytes) {
  key.append(bytes.begin(), bytes.end());
}

}  // namespace

std::optional<Ipv4Address> source_for(const scenario::HostSpec& host, Ipv4Address dst) {
  const scenario::InterfaceSpec* egress = scenario::egress_interface(host, dst);
  if (egress == nullptr) {
    return std::nullopt;
  }
  return egress->address;
}

std::vector<PlannedSend> plan_traffic(const scenario::Scenario& s) {
  std::vector<PlannedSend> plan;
  for (std::size_t spec_index = 0; spec_index < s.traffic.size(); ++spec_index) {
    const TrafficSpec& t = s.traffic[spec_index];
    const scenario::HostSpec* host = scenario::find_host(s, t.from);
    if (host == nullptr) {
      throw InputError(t.place.describe() + ": traffic.from: no host '" + t.from + "'");
    }
    if (t.kind == TrafficKind::replay) {
      for (const PcapRecord& record : read_ipv4_pcap(t.replay)) {
        plan.push_back({t.at_ns + record.time_ns, t.from, t.kind, Packet(record.bytes), {}});
      }
      continue;
    }
    Ipv4Address src = t.src;
    if (!t.src_set && t.kind != TrafficKind::raw) {
      const auto chosen = source_for(*host, t.dst);
      if (!chosen) {
        throw InputError(t.place.describe() + ": traffic.dst: host '" + t.from + "' has no route to " +
                         t.dst.to_string());
      }
      src = *chosen;
    }
    for (std::uint32_t i = 0; i < t.count; ++i) {
      PlannedSend send{t.at_ns + static_cast<std::int64_t>(i) * t.interval_ns,
                       t.from,
                       t.kind,
                       build_traffic_packet(t, src, i, spec_index),
                       {}};
      send.options = {t.src_set ? std::optional<Ipv4Address>(src) : std::nullopt, t.tos, t.ttl, t.df};
      plan.push_back(std::move(send));
    }
  }
  std::stable_sort(plan.begin(), plan.end(),
                   [](const PlannedSend& a, const PlannedSend& b) { return a.at_ns < b.at_ns; });
  return plan;
}

std::string udp_delivery_key(std::uint16_t port, ByteView payload) {
  std::string key = "udp/" + std::to_string(port) + "/";
  append(key, payload);
  return key;
}

std::optional<std::string> delivery_key(ByteView ip_packet) {
  auto ip = Ipv4View::parse(ip_packet);
  for (int depth = 0; ip && ip->protocol() == ipproto::kIpip && !ip->is_fragment() && depth < 4; ++depth) {
    ip = Ipv4View::parse(ip->payload());
  }
  if (!ip || ip->is_fragment()) {
    return std::nullopt;
  }
  const ByteView l4 = ip->payload();
  switch (ip->protocol()) {
    case ipproto::kUdp:
      if (const auto udp = UdpView::parse(l4)) {
        return udp_delivery_key(udp->dst_port(), udp->payload());
      }
      break;
    case ipproto::kTcp:
      if (const auto tcp = TcpView::parse(l4)) {
        std::string key = "tcp/" + std::to_string(tcp->dst_port()) + "/";
        std::array<std::uint8_t, 4> seq{};
        store_be32(seq.data(), tcp->seq());
        append(key, seq);
        append(key, tcp->payload());
        return key;
      }
      break;
    case ipproto::kIcmp:
      if (const auto icmp = IcmpView::parse(l4)) {
        std::string key = "icmp/";
        const std::array<std::uint8_t, 2> type_code{icmp->type(), icmp->code()};
        std::array<std::uint8_t, 4> rest{};  // identifier/sequence or unused/mtu
        store_be32(rest.data(), icmp->rest_of_header());
        append(key, type_code);
        append(key, rest);
        append(key, icmp->payload());
        return key;
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace tunlab::real
