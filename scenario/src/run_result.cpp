// Judging a run's expectations (each kind by its descriptor, expect_kind.hpp), and the summary.
#include "tunlab/scenario/run_result.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tunlab/scenario/expect_kind.hpp"
#include "tunlab/scenario/safe_text.hpp"

namespace tunlab {

namespace {

using scenario::Expectation;
using scenario::detail::ExpectWatch;

ExpectationResult judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count& tally) {
  ExpectationResult r;
  r.name = e.name;
  r.place = e.place.describe();
  scenario::detail::expect_kind(e.kind).judge(e, observed, tally, r);
  return r;
}

}  // namespace

ExpectationTally::ExpectationTally(const scenario::Scenario& s) : scenario_(&s), counts_(s.expectations.size()) {
  const auto slot = [](std::vector<std::string>& names, std::vector<std::vector<std::size_t>>& lists,
                       const std::string& name) -> std::vector<std::size_t>& {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      names.push_back(name);
      lists.emplace_back();
      return lists.back();
    }
    return lists[static_cast<std::size_t>(it - names.begin())];
  };
  for (std::size_t i = 0; i < s.expectations.size(); ++i) {
    const Expectation& e = s.expectations[i];
    switch (scenario::detail::expect_kind(e.kind).watch) {
      case ExpectWatch::app_datagrams:
        slot(hosts_, host_expectations_, e.host).push_back(i);
        break;
      case ExpectWatch::hop_packets:
        slot(hops_, hop_expectations_, e.hop).push_back(i);
        break;
      case ExpectWatch::none:
        break;
    }
  }
}

std::size_t ExpectationTally::host_slot(const std::string& host) const {
  auto it = std::find(hosts_.begin(), hosts_.end(), host);
  return it == hosts_.end() ? kUnwatched : static_cast<std::size_t>(it - hosts_.begin());
}

std::size_t ExpectationTally::hop_slot(const std::string& label) const {
  auto it = std::find(hops_.begin(), hops_.end(), label);
  return it == hops_.end() ? kUnwatched : static_cast<std::size_t>(it - hops_.begin());
}

void ExpectationTally::app_datagram(std::size_t slot, std::uint16_t port, std::size_t bytes, std::uint64_t sent_order) {
  if (slot >= host_expectations_.size()) {
    return;
  }
  for (std::size_t i : host_expectations_[slot]) {
    const Expectation& e = scenario_->expectations[i];
    if (e.port && port != *e.port) {
      continue;
    }
    Count& c = counts_[i];
    if (c.matching > 0 && !c.out_of_order && sent_order < c.last_order) {
      c.out_of_order = true;
      c.late = sent_order;
      c.earlier = c.last_order;
    }
    ++c.matching;
    c.bytes += bytes;
    c.last_order = sent_order;
  }
}

void ExpectationTally::hop_packet(std::size_t slot, ByteView ip_packet) {
  if (slot >= hop_expectations_.size()) {
    return;
  }
  for (std::size_t i : hop_expectations_[slot]) {
    const Expectation& e = scenario_->expectations[i];
    Count& c = counts_[i];
    ++c.total;
    c.matching += matches(e.outer, e.inner, ip_packet) ? 1 : 0;
  }
}

std::vector<ExpectationResult> evaluate_expectations(const scenario::Scenario& s, const Observations& observed,
                                                     const ExpectationTally& tally) {
  std::vector<ExpectationResult> results;
  results.reserve(s.expectations.size());
  for (std::size_t i = 0; i < s.expectations.size(); ++i) {
    results.push_back(judge(s.expectations[i], observed, tally.count(i)));
  }
  return results;
}

std::vector<ExpectationResult> evaluate_expectations(const scenario::Scenario& s, const Observations& observed) {
  ExpectationTally tally(s);
  for (const auto& [host, app] : observed.apps) {
    const std::size_t slot = tally.host_slot(host);
    for (const auto& d : app.datagrams) {
      tally.app_datagram(slot, d.port, d.bytes, d.sent_order);
    }
  }
  for (const auto& [label, packets] : observed.hops) {
    const std::size_t slot = tally.hop_slot(label);
    for (const auto& packet : packets) {
      tally.hop_packet(slot, packet);
    }
  }
  return evaluate_expectations(s, observed, tally);
}

std::vector<std::string> watched_hops(const scenario::Scenario& s) {
  std::vector<std::string> hops;
  for (const Expectation& e : s.expectations) {
    if (scenario::detail::expect_kind(e.kind).watch == ExpectWatch::hop_packets &&
        std::find(hops.begin(), hops.end(), e.hop) == hops.end()) {
      hops.push_back(e.hop);
    }
  }
  return hops;
}

bool RunSummary::passed() const {
  return invariant_violations.empty() &&
         std::all_of(expectations.begin(), expectations.end(), [](const ExpectationResult& r) { return r.ok; });
}

std::string RunSummary::to_json(int indent) const {
  nlohmann::ordered_json j;
  j["scenario"] = scenario;
  j["backend"] = backend;
  j["seed"] = seed;
  j["injected"] = injected;
  j["delivered"] = delivered;
  j["dropped"] = nlohmann::ordered_json::object();
  for (const auto& [reason, count] : dropped) {
    j["dropped"][reason] = count;
  }
  j["duplicate_deliveries"] = duplicate_deliveries;
  j["expectations"] = nlohmann::ordered_json::array();
  for (const ExpectationResult& r : expectations) {
    j["expectations"].push_back({{"name", r.name},
                                 {"ok", r.ok},
                                 {"detail", r.ok ? r.seen : "expected " + r.expected + "; seen " + r.seen},
                                 {"expected", r.expected},
                                 {"seen", r.seen},
                                 {"place", r.place}});
  }
  j["invariants"] = {{"ok", invariant_violations.empty()}, {"violations", invariant_violations}};
  j["captures"] = nlohmann::ordered_json::object();
  for (const auto& [name, path] : captures) {
    j["captures"][name] = path;
  }
  j["digest"] = digest;
  j["virtual_time_ns"] = virtual_time_ns;
  j["tunnels"] = nlohmann::ordered_json::object();
  for (const auto& [host, counters] : tunnel_counters) {
    nlohmann::ordered_json c = nlohmann::ordered_json::object();
    for (const auto& [name, value] : counters) {
      c[name] = value;
    }
    j["tunnels"][host] = c;
  }
  if (!link_wires.empty()) {
    j["link_wires"] = nlohmann::ordered_json::object();
    for (const auto& [name, counters] : link_wires) {
      nlohmann::ordered_json c = nlohmann::ordered_json::object();
      for (const auto& [key, value] : counters) {
        c[key] = value;
      }
      j["link_wires"][name] = c;
    }
  }
  j["passed"] = passed();
  return safe_text::dump_json(j, indent);
}

}  // namespace tunlab
