// What a run observed and what it concluded. Both backends fill Observations the same way, so a
// scenario's expectations are judged by one piece of code whichever backend ran it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab {

struct AppObservations {
  struct Datagram {
    std::uint8_t protocol = 0;  // 17 UDP, 6 TCP
    std::uint16_t port = 0;
    std::size_t bytes = 0;         // payload bytes
    std::uint64_t sent_order = 0;  // order in which the scenario sent it (for in_order checks)
  };
  struct IcmpError {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint16_t mtu = 0;
  };
  std::vector<Datagram> datagrams;
  std::vector<IcmpError> icmp_errors;
  std::uint64_t echo_replies = 0;
};

struct Observations {
  std::map<std::string, AppObservations> apps;                         // by host name
  std::map<std::string, std::vector<std::vector<std::uint8_t>>> hops;  // "left-eth0" -> IPv4 packets
  std::uint64_t injected = 0;
  std::uint64_t delivered = 0;
  std::map<std::string, std::uint64_t> dropped;  // by drop reason name
  std::vector<std::string> first_drops;          // "#3 absorbed-by-program", where the backend knows
};

struct ExpectationResult {
  std::string name;
  bool ok = false;
  std::string expected;
  std::string seen;
  std::string place;  // file:line:col of the expectation
};

struct RunSummary {
  std::string scenario;
  std::string backend = "sim";
  std::uint64_t seed = 1;
  std::uint64_t injected = 0;
  std::uint64_t delivered = 0;
  std::map<std::string, std::uint64_t> dropped;
  // Extra copies delivered (duplication faults); the packet itself counts once in `delivered`.
  std::uint64_t duplicate_deliveries = 0;
  std::vector<ExpectationResult> expectations;
  std::vector<std::string> invariant_violations;  // each one makes the run fail
  std::map<std::string, std::string> captures;    // capture name -> path (when written)
  std::string digest;
  std::uint64_t virtual_time_ns = 0;
  std::map<std::string, std::map<std::string, std::uint64_t>> tunnel_counters;  // host -> counters
  // The real backend's user-space wires of faulted links: per faulted direction ("wan.right")
  // what it did, per wire ("wan.right <-> right.eth0") how late its held frames left. Empty (and
  // absent from the JSON) everywhere else.
  std::map<std::string, std::map<std::string, std::uint64_t>> link_wires;

  bool passed() const;
  // The JSON summary of docs/contracts.md (contract fields first; more may be added).
  std::string to_json(int indent = 2) const;
};

// What the expectations that count or match need, counted as packets pass, so that a run keeps
// no datagram or hop packet for them: per expectation, the matching datagrams (and their bytes)
// and the order they arrived in, or the matching packets at a hop.
class ExpectationTally {
public:
  explicit ExpectationTally(const scenario::Scenario& scenario);

  // A slot per host / hop label the expectations look at (look them up once, then feed by slot).
  static constexpr std::size_t kUnwatched = SIZE_MAX;
  std::size_t host_slot(const std::string& host) const;  // kUnwatched when no expectation looks
  std::size_t hop_slot(const std::string& label) const;

  // An application of the host in `slot` received a datagram.
  void app_datagram(std::size_t slot, std::uint16_t port, std::size_t bytes, std::uint64_t sent_order);
  // An IPv4 packet passed the hop in `slot`.
  void hop_packet(std::size_t slot, ByteView ip_packet);

  struct Count {
    std::uint64_t matching = 0;
    std::uint64_t bytes = 0;
    std::uint64_t total = 0;  // hop: every packet seen there
    std::uint64_t last_order = 0;
    bool out_of_order = false;
    std::uint64_t late = 0;     // first datagram that arrived after a later-sent one ...
    std::uint64_t earlier = 0;  // ... which arrived before it
  };
  const Count& count(std::size_t expectation) const { return counts_[expectation]; }

private:
  const scenario::Scenario* scenario_;
  std::vector<Count> counts_;  // by expectation index
  std::vector<std::string> hosts_;
  std::vector<std::vector<std::size_t>> host_expectations_;
  std::vector<std::string> hops_;
  std::vector<std::vector<std::size_t>> hop_expectations_;
};

// Judges every expectation of `scenario` against `observed`.
std::vector<ExpectationResult> evaluate_expectations(const scenario::Scenario& scenario, const Observations& observed);
// The same, with datagrams and hop packets counted as they passed (`observed` then needs no
// datagrams and no hops: ICMP errors, echo replies and the totals).
std::vector<ExpectationResult> evaluate_expectations(const scenario::Scenario& scenario, const Observations& observed,
                                                     const ExpectationTally& tally);

// The hop labels ("left-eth0") the scenario's expectations look at.
std::vector<std::string> watched_hops(const scenario::Scenario& scenario);

// Whether `ip_packet` (an IPv4 packet) matches `outer` and, if given, `inner` (its IPIP payload).
bool matches(const scenario::HeaderMatch& outer, const scenario::HeaderMatch& inner, ByteView ip_packet);

}  // namespace tunlab
