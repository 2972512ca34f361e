// What a run observed and what it concluded. Both backends fill Observations the same way, so a
// scenario's expectations are judged by one piece of code whichever backend ran it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tunlab/harness/scenario.hpp"

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

  bool passed() const;
  // The JSON summary of docs/contracts.md (contract fields first; more may be added).
  std::string to_json(int indent = 2) const;
};

// Judges every expectation of `scenario` against `observed`.
std::vector<ExpectationResult> evaluate_expectations(const scenario::Scenario& scenario, const Observations& observed);

// The hop labels ("left-eth0") the scenario's expectations look at.
std::vector<std::string> watched_hops(const scenario::Scenario& scenario);

// Whether `ip_packet` (an IPv4 packet) matches `outer` and, if given, `inner` (its IPIP payload).
bool matches(const scenario::HeaderMatch& outer, const scenario::HeaderMatch& inner, ByteView ip_packet);

}  // namespace tunlab
