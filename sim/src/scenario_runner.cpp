#include "tunlab/sim/scenario_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "tunlab/capture/capture.hpp"
#include "tunlab/harness/run_end.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/traffic.hpp"
#include "tunlab/sim/capture_recorder.hpp"
#include "tunlab/sim/link.hpp"
#include "tunlab/sim/payload_digest.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::sim {

namespace {

using scenario::TrafficKind;
using scenario::TrafficSpec;

// What each application sent, for the packets still in flight: the size and digest of the UDP/TCP
// payload of every whole packet (fragments and other protocols are not compared). Entries are
// kept by origin from the oldest packet still in flight on, so memory follows what is in flight,
// not the length of the run.
struct SentPayload {
  bool known = false;
  std::size_t bytes = 0;
  std::uint64_t digest = 0;
};

class SentLog {
public:
  explicit SentLog(const Accounting& accounting) : accounting_(accounting) {}

  void sent(std::uint32_t origin, ByteView packet) {
    // Forget the packets that have ended (delivered or dropped) before the oldest in flight.
    while (!entries_.empty() && accounting_.fate(first_) != Accounting::Fate::in_flight) {
      entries_.pop_front();
      ++first_;
    }
    if (entries_.empty()) {
      first_ = origin;
    }
    SentPayload entry;
    if (const auto payload = transport_payload(packet)) {
      entry = {true, payload->size(), payload_digest(*payload)};
    }
    entries_.resize(origin - first_);  // origins of other senders (none today) stay unknown
    entries_.push_back(entry);
  }

  // What was sent as `origin`, while it is remembered.
  const SentPayload* find(std::uint32_t origin) const {
    if (origin < first_ || origin - first_ >= entries_.size()) {
      return nullptr;
    }
    const SentPayload& entry = entries_[origin - first_];
    return entry.known ? &entry : nullptr;
  }

private:
  const Accounting& accounting_;
  std::uint32_t first_ = 1;
  std::deque<SentPayload> entries_;
};

void inject(Network& network, Host& host, Packet&& packet, SentLog* sent) {
  packet.origin = network.accounting().inject();
  Host::as_sent_by_app(packet);  // what the application's bytes become, before they are logged
  if (sent != nullptr) {
    sent->sent(packet.origin, packet.bytes());
  }
  host.send_from_app(std::move(packet));
}

[[noreturn]] void too_long(const TrafficSpec& t, const std::string& what) {
  throw InputError(t.place.describe() + ": traffic: " + what);
}

// One traffic item, expanded as it goes: each packet is built (or read from the pcap) and
// scheduled only when the one before it is sent, so the event queue holds one event per item.
// Each keeps the sequence number it would have had if every packet were scheduled up front, so
// equal-time events run in the same order either way.
class TrafficSource {
public:
  TrafficSource(Network& network, Host& host, const TrafficSpec& t, std::size_t spec_index, Ipv4Address src,
                SentLog* sent)
      : network_(network), host_(host), t_(t), spec_index_(spec_index), src_(src), sent_(sent) {
    if (t.kind == TrafficKind::replay) {
      // Read through once now (unless the spec's builder did), so that a bad file fails the run
      // before anything is sent, and to know how many packets the item holds; then read it again
      // as the packets go.
      if (t.replay_records) {
        count_ = *t.replay_records;
      } else {
        PcapReader check(t.replay);
        while (check.next()) {
          ++count_;
        }
      }
      reader_ = std::make_unique<PcapReader>(t.replay);
    } else {
      count_ = t.count;
      Time last = 0;
      if (t.count > 0 && (__builtin_mul_overflow(static_cast<Time>(t.count - 1), t.interval_ns, &last) ||
                          __builtin_add_overflow(last, t.at_ns, &last))) {
        too_long(t, "at + (count - 1) * interval does not fit the virtual clock (int64 nanoseconds)");
      }
    }
  }

  std::uint64_t count() const { return count_; }

  // Schedules the first packet; `first_sequence` starts count() reserved sequence numbers.
  void start(std::uint64_t first_sequence) {
    first_sequence_ = first_sequence;
    schedule_next();
  }

private:
  void schedule_next() {
    if (next_ >= count_) {
      return;
    }
    Time at = 0;
    if (reader_) {
      record_ = reader_->next();
      if (!record_) {
        return;  // the file changed under us: fewer packets than counted
      }
      if (__builtin_add_overflow(t_.at_ns, record_->time_ns, &at)) {
        too_long(t_, "replay: packet " + std::to_string(record_->number) +
                         ": its time offset does not fit the virtual clock (int64 nanoseconds)");
      }
      // A timestamp earlier than the one before is sent right after it: packets go in file order.
      at = std::max(at, last_at_);
    } else {
      at = t_.at_ns + static_cast<Time>(next_) * t_.interval_ns;
    }
    last_at_ = at;
    network_.events().schedule_reserved(at, first_sequence_ + next_, [this] { send(); });
  }

  void send() {
    if (reader_) {
      inject(network_, host_, Packet(record_->bytes), sent_);
    } else {
      inject(network_, host_, build_traffic_packet(t_, src_, static_cast<std::uint32_t>(next_), spec_index_), sent_);
    }
    ++next_;
    schedule_next();
  }

  Network& network_;
  Host& host_;
  const TrafficSpec& t_;
  std::size_t spec_index_;
  Ipv4Address src_;
  SentLog* sent_;
  std::uint64_t count_ = 0;
  std::uint64_t next_ = 0;
  std::uint64_t first_sequence_ = 0;
  Time last_at_ = 0;
  std::unique_ptr<PcapReader> reader_;
  std::optional<PcapReader::Record> record_;
};

void schedule_traffic_logged(const scenario::Scenario& s, Network& network, SentLog* sent) {
  std::vector<std::shared_ptr<TrafficSource>> sources;
  std::uint64_t total = 0;
  for (std::size_t spec_index = 0; spec_index < s.traffic.size(); ++spec_index) {
    const TrafficSpec& t = s.traffic[spec_index];
    Host* host = network.find_host(t.from);
    if (host == nullptr) {
      throw InputError(t.place.describe() + ": traffic.from: no host '" + t.from + "'");
    }
    Ipv4Address src = t.src;
    if (t.kind != TrafficKind::replay && !t.src_set && t.kind != TrafficKind::raw) {
      auto chosen = host->source_for(t.dst);
      if (!chosen) {
        throw InputError(t.place.describe() + ": traffic.dst: host '" + t.from + "' has no route to " +
                         t.dst.to_string());
      }
      src = *chosen;
    }
    sources.push_back(std::make_shared<TrafficSource>(network, *host, t, spec_index, src, sent));
    total += sources.back()->count();
    // Every injected packet gets a 32-bit origin tag (0 is the network's own).
    if (total >= UINT32_MAX) {
      too_long(t, fmt::format("the scenario sends {} or more packets; at most {} fit one run", total, UINT32_MAX - 1));
    }
  }
  for (const auto& source : sources) {
    source->start(network.events().reserve_sequences(source->count()));
    network.keep_alive(source);
  }
}

}  // namespace

void schedule_traffic(const scenario::Scenario& s, Network& network) {
  schedule_traffic_logged(s, network, nullptr);
}

namespace {

// What each faulty link direction did, packet by packet, in link_faults order.
void list_applied_link_faults(const scenario::Scenario& scenario, Network& network,
                              std::vector<AppliedLinkFault>& out) {
  out.clear();
  for (std::size_t i = 0; i < scenario.link_faults.size(); ++i) {
    Link* link = network.find_link(scenario.link_faults[i].from);
    const int side = link == nullptr ? -1 : link->side_of(scenario.link_faults[i].from);
    if (side < 0) {
      continue;
    }
    for (const LinkFaults::Event& event : link->fault_events(side)) {
      out.push_back({i, event.kind, event.packet});
    }
  }
}

}  // namespace

RunSummary run_scenario(const scenario::Scenario& s, const RunOptions& options) {
  const std::uint64_t seed = options.seed.value_or(s.seed);
  std::unique_ptr<Network> network = Network::from_scenario(s, seed, options.apps, options.programs);
  // Captures exist for the digest and for files asked for; without either, nothing records them.
  std::optional<CaptureRecorder> recorder;
  if (options.digest || options.capture_dir) {
    recorder.emplace(*network, options.capture_dir);
    network->add_tap(*recorder);
  }

  check_hop_names(s, options.observers, [&network](const std::string& label) { return network->has_interface(label); });
  // Expectations that count or match are tallied as packets pass; nothing is kept for them.
  ExpectationTally tally(s);
  // A bounded sample of each watched hop, so a failed hop expectation can show the closest
  // packets that did pass there without keeping every packet.
  constexpr std::size_t kHopSample = 64;
  std::map<std::string, std::vector<std::vector<std::uint8_t>>> hop_samples;
  for (const std::string& hop : watched_hops(s)) {
    const std::size_t slot = tally.hop_slot(hop);
    auto* sample = &hop_samples[hop];
    network->observe_hop(hop, [&tally, slot, sample](Time, Direction, std::uint32_t, ByteView ip) {
      tally.hop_packet(slot, ip);
      if (sample->size() < kHopSample) {
        sample->emplace_back(ip.begin(), ip.end());
      }
    });
  }
  Accounting& accounting = network->accounting();
  SentLog sent(accounting);
  // Invariants judged as datagrams arrive: nothing is delivered that was never sent, and an
  // application receives exactly the bytes that were sent, unless a fault corrupted that packet
  // (a flipped bit a checksum cannot catch is the fault's doing, not the tunnel's). Duplicates
  // the fault model made arrive with the same bytes and are not violations.
  std::vector<std::vector<std::string>> never_sent(network->hosts().size());
  std::uint64_t differing = 0;
  std::string first_difference;
  for (std::size_t h = 0; h < network->hosts().size(); ++h) {
    Host& host = *network->hosts()[h];
    const std::size_t slot = tally.host_slot(host.name());
    host.set_datagram_observer([&, slot, h](const AppLog::Datagram& d) {
      const Host& receiver = *network->hosts()[h];
      if (d.origin == 0 || d.origin > accounting.injected()) {
        never_sent[h].push_back(
            fmt::format("{} received a datagram on port {} that no application sent", receiver.name(), d.port));
      }
      tally.app_datagram(slot, d.port, d.bytes, d.origin);
      const SentPayload* want = sent.find(d.origin);
      if (want != nullptr && !network->corrupted(d.origin) && (want->bytes != d.bytes || want->digest != d.digest)) {
        if (differing++ == 0) {
          first_difference =
              fmt::format("#{} to {} port {}: sent {} bytes (digest {:016x}), received {} bytes (digest {:016x})",
                          d.origin, receiver.name(), d.port, want->bytes, want->digest, d.bytes, d.digest);
        }
      }
    });
    host.keep_datagrams(false);
  }
  for (RunObserver* observer : options.observers) {
    network->add_observer(*observer);
  }
  schedule_traffic_logged(s, *network, &sent);
  if (options.pre_run) {
    options.pre_run(*network);
  }
  try {
    network->run(s.run_until_ns > 0 ? s.run_until_ns : Network::kForever);
  } catch (const RunBoundExceeded& e) {
    // Named by the scenario's file (or its name, for a run built in memory).
    throw RunBoundExceeded(fmt::format("{}: seed {}: {}", s.file.empty() ? s.name : s.file.string(), seed, e.what()));
  }
  network->end_apps();  // what apps still hold is reported before the accounting is judged

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
  for (const auto& violations : never_sent) {
    summary.invariant_violations.insert(summary.invariant_violations.end(), violations.begin(), violations.end());
  }
  if (differing > 0) {
    summary.invariant_violations.push_back(fmt::format(
        "{} delivered datagram(s) differ from what the application sent, without injected corruption (first: {})",
        differing, first_difference));
  }

  Observations observed;
  observed.hops = std::move(hop_samples);
  observed.injected = summary.injected;
  observed.delivered = summary.delivered;
  observed.dropped = summary.dropped;
  if (!summary.dropped.empty()) {
    observed.first_drops = accounting.first_drops(5);
  }
  for (const auto& host : network->hosts()) {
    AppObservations& app = observed.apps[host->name()];
    for (const auto& icmp : host->app_log().icmp_errors) {
      app.icmp_errors.push_back({icmp.type, icmp.code, icmp.mtu});
    }
    app.echo_replies = host->app_log().echo_replies;
  }
  summary.expectations = evaluate_expectations(s, observed, tally);
  if (!options.observers.empty() && !summary.dropped.empty()) {
    accounting.for_each_dropped([&options](std::uint32_t origin, std::string_view reason) {
      for (RunObserver* observer : options.observers) {
        observer->packet_dropped(origin, reason);
      }
    });
  }

  if (options.applied_link_faults != nullptr) {
    list_applied_link_faults(s, *network, *options.applied_link_faults);
  }
  std::vector<RunTunnel> tunnels;
  for (const auto& host : network->hosts()) {
    tunnels.push_back({host->name(), network->find_tunnel(host->name())});
  }
  finish_run(summary, options, tunnels, network->now(), recorder ? &recorder->captures() : nullptr);
  if (options.post_run) {
    options.post_run(*network, summary);
  }
  return summary;
}

}  // namespace tunlab::sim
