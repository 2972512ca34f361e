#include "tunlab/sim/scenario_runner.hpp"

#include <fmt/format.h>

#include "tunlab/harness/capture.hpp"
#include "tunlab/harness/input_error.hpp"
#include "tunlab/harness/traffic.hpp"
#include "tunlab/sim/payload_digest.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::sim {

namespace {

using scenario::TrafficKind;
using scenario::TrafficSpec;

// What each application sent, indexed by origin - 1: the size and digest of the UDP/TCP payload
// of every whole packet (fragments and other protocols are not compared).
struct SentPayload {
  bool known = false;
  std::size_t bytes = 0;
  std::uint64_t digest = 0;
};
using SentLog = std::vector<SentPayload>;

void inject(Network& network, Host& host, Packet&& packet, SentLog* sent) {
  packet.origin = network.accounting().inject();
  if (sent != nullptr) {
    sent->resize(packet.origin);
    if (const auto payload = transport_payload(packet.bytes())) {
      sent->back() = {true, payload->size(), payload_digest(*payload)};
    }
  }
  host.send_from_app(std::move(packet));
}

void schedule_traffic_logged(const scenario::Scenario& s, Network& network, SentLog* sent);

// Invariant: an application receives exactly the bytes that were sent, unless a fault corrupted
// that packet (a flipped bit a checksum cannot catch is the fault's doing, not the tunnel's).
// Duplicates the fault model made arrive with the same bytes and are not violations.
void check_payloads(const Network& network, const SentLog& sent, RunSummary& summary) {
  std::uint64_t differing = 0;
  std::string first;
  for (const auto& host : network.hosts()) {
    for (const auto& d : host->app_log().datagrams) {
      if (d.origin == 0 || d.origin > sent.size() || !sent[d.origin - 1].known || network.corrupted(d.origin)) {
        continue;
      }
      const SentPayload& want = sent[d.origin - 1];
      if (want.bytes != d.bytes || want.digest != d.digest) {
        if (differing++ == 0) {
          first = fmt::format("#{} to {} port {}: sent {} bytes (digest {:016x}), received {} bytes (digest {:016x})",
                              d.origin, host->name(), d.port, want.bytes, want.digest, d.bytes, d.digest);
        }
      }
    }
  }
  if (differing > 0) {
    summary.invariant_violations.push_back(fmt::format(
        "{} delivered datagram(s) differ from what the application sent, without injected corruption (first: {})",
        differing, first));
  }
}

}  // namespace

void schedule_traffic(const scenario::Scenario& s, Network& network) {
  schedule_traffic_logged(s, network, nullptr);
}

namespace {

void schedule_traffic_logged(const scenario::Scenario& s, Network& network, SentLog* sent) {
  for (std::size_t spec_index = 0; spec_index < s.traffic.size(); ++spec_index) {
    const TrafficSpec& t = s.traffic[spec_index];
    Host* host = network.find_host(t.from);
    if (host == nullptr) {
      throw InputError(t.place.describe() + ": traffic.from: no host '" + t.from + "'");
    }
    if (t.kind == TrafficKind::replay) {
      // The pcap is read now, so a bad file fails the run before anything is sent.
      auto records = std::make_shared<std::vector<PcapRecord>>(read_ipv4_pcap(t.replay));
      for (std::size_t i = 0; i < records->size(); ++i) {
        network.events().schedule(t.at_ns + (*records)[i].time_ns, [&network, host, records, i, sent] {
          inject(network, *host, Packet((*records)[i].bytes), sent);
        });
      }
      continue;
    }
    Ipv4Address src = t.src;
    if (!t.src_set && t.kind != TrafficKind::raw) {
      auto chosen = host->source_for(t.dst);
      if (!chosen) {
        throw InputError(t.place.describe() + ": traffic.dst: host '" + t.from + "' has no route to " +
                         t.dst.to_string());
      }
      src = *chosen;
    }
    for (std::uint32_t i = 0; i < t.count; ++i) {
      network.events().schedule(t.at_ns + static_cast<Time>(i) * t.interval_ns,
                                [&network, host, &t, src, i, spec_index, sent] {
                                  inject(network, *host, build_traffic_packet(t, src, i, spec_index), sent);
                                });
    }
  }
}

}  // namespace

std::string describe_packet(ByteView bytes) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip) {
    return fmt::format("non-IPv4 ({} bytes)", bytes.size());
  }
  std::string text = fmt::format("{} > {} ttl {} tos 0x{:02x}{} len {}", ip->src().to_string(), ip->dst().to_string(),
                                 ip->ttl(), ip->tos(), ip->df() ? " DF" : "", ip->total_length());
  if (ip->is_fragment()) {
    return text +
           fmt::format(" frag off {}{} proto {}", ip->fragment_offset_bytes(), ip->mf() ? " MF" : "", ip->protocol());
  }
  const ByteView payload = ip->payload();
  switch (ip->protocol()) {
    case ipproto::kIpip:
      return "IPIP " + text + " [" + describe_packet(payload) + "]";
    case ipproto::kUdp:
      if (payload.size() >= 8) {
        return "UDP " + text +
               fmt::format(" {} > {} payload {}", payload[0] << 8 | payload[1], payload[2] << 8 | payload[3],
                           payload.size() - 8);
      }
      break;
    case ipproto::kTcp:
      if (payload.size() >= 20) {
        return "TCP " + text +
               fmt::format(" {} > {} flags 0x{:02x}", payload[0] << 8 | payload[1], payload[2] << 8 | payload[3],
                           payload[13]);
      }
      break;
    case ipproto::kIcmp: {
      IcmpInfo icmp;
      if (parse_icmp(payload, icmp)) {
        return fmt::format("ICMP {}/{}{} ", icmp.type, icmp.code,
                           icmp.type == 3 && icmp.code == 4 ? fmt::format(" mtu {}", icmp.mtu) : "") +
               text;
      }
      break;
    }
    default:
      break;
  }
  return fmt::format("proto {} ", ip->protocol()) + text;
}

RunSummary run_scenario(const scenario::Scenario& s, const RunOptions& options) {
  const std::uint64_t seed = options.seed.value_or(s.seed);
  std::unique_ptr<Network> network = Network::from_scenario(s, seed, options.apps);
  network->enable_captures();
  for (const std::string& hop : watched_hops(s)) {
    if (!network->watch_hop(hop)) {
      for (const auto& e : s.expectations) {
        if (e.hop == hop) {
          throw InputError(e.place.describe() + ": expect.hop: no interface '" + hop + "' (names are HOST-IFACE)");
        }
      }
    }
  }
  if (options.tracer) {
    network->set_tracer(options.tracer);
  }
  network->set_observer(options.observer);
  SentLog sent;
  schedule_traffic_logged(s, *network, &sent);
  network->run(s.run_until_ns > 0 ? s.run_until_ns : Network::kForever);

  Accounting& accounting = network->accounting();
  RunSummary summary;
  summary.scenario = s.name;
  summary.backend = "sim";
  summary.seed = seed;
  summary.injected = accounting.injected();
  summary.delivered = accounting.delivered_count();
  summary.dropped = accounting.dropped_by_reason();
  summary.duplicate_deliveries = accounting.duplicate_deliveries();
  summary.virtual_time_ns = static_cast<std::uint64_t>(network->now());

  // Invariant: every injected packet is delivered or dropped with a named reason.
  const std::vector<std::uint32_t> unexplained = accounting.in_flight();
  if (!unexplained.empty()) {
    summary.invariant_violations.push_back(fmt::format(
        "{} injected packet(s) neither delivered nor dropped (first: #{})", unexplained.size(), unexplained.front()));
  }
  if (summary.injected != summary.delivered + accounting.dropped_count()) {
    summary.invariant_violations.push_back(fmt::format("injected {} != delivered {} + dropped {}", summary.injected,
                                                       summary.delivered, accounting.dropped_count()));
  }

  Observations observed;
  observed.injected = summary.injected;
  observed.delivered = summary.delivered;
  observed.dropped = summary.dropped;
  for (const auto& host : network->hosts()) {
    AppObservations& app = observed.apps[host->name()];
    for (const auto& d : host->app_log().datagrams) {
      // Invariant: nothing is delivered that was never sent.
      if (d.origin == 0 || d.origin > summary.injected) {
        summary.invariant_violations.push_back(
            fmt::format("{} received a datagram on port {} that no application sent", host->name(), d.port));
      }
      app.datagrams.push_back({d.protocol, d.port, d.bytes, d.origin});
    }
    for (const auto& icmp : host->app_log().icmp_errors) {
      app.icmp_errors.push_back({icmp.type, icmp.code, icmp.mtu});
    }
    app.echo_replies = host->app_log().echo_replies;
  }
  for (const std::string& hop : watched_hops(s)) {
    auto& packets = observed.hops[hop];
    for (const HopRecord& record : network->hop_records(hop)) {
      packets.push_back(record.bytes);
    }
  }
  check_payloads(*network, sent, summary);
  summary.expectations = evaluate_expectations(s, observed);

  for (const auto& host : network->hosts()) {
    if (const AppB* app = network->find_tunnel(host->name())) {
      auto& counters = summary.tunnel_counters[host->name()];
      for (const auto& [name, value] : app->counters(network->now())) {
        counters[name] = value;
      }
    }
  }

  if (options.post_run) {
    options.post_run(*network, summary);
  }
  const CaptureSet& captures = network->captures();
  summary.digest = captures.digest();
  if (options.capture_dir) {
    for (const auto& [name, path] : captures.write_to(*options.capture_dir)) {
      summary.captures[name] = path.string();
    }
  }
  return summary;
}

}  // namespace tunlab::sim
