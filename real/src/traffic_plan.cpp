// Builds the real run's sends from the scenario (see traffic_plan.hpp).
#include "traffic_plan.hpp"

#include <algorithm>

#include "tunlab/harness/capture.hpp"
#include "tunlab/harness/input_error.hpp"
#include "tunlab/harness/traffic.hpp"
#include "tunlab/wire/packet_builder.hpp"

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
      if (l4.size() >= 8) {
        return udp_delivery_key(static_cast<std::uint16_t>(l4[2] << 8 | l4[3]), l4.subspan(8));
      }
      break;
    case ipproto::kTcp:
      if (l4.size() >= 20) {
        const std::size_t offset = std::min<std::size_t>(l4.size(), (l4[12] >> 4) * 4u);
        std::string key = "tcp/" + std::to_string(l4[2] << 8 | l4[3]) + "/";
        append(key, l4.subspan(4, 4));  // sequence number
        append(key, l4.subspan(offset));
        return key;
      }
      break;
    case ipproto::kIcmp:
      if (l4.size() >= 8) {
        std::string key = "icmp/";
        append(key, l4.first(2));    // type, code
        append(key, l4.subspan(4));  // identifier/sequence or unused/mtu, then the body
        return key;
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace tunlab::real
