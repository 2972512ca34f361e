#include "tunlab/harness/run_result.hpp"

#include <algorithm>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab {

namespace {

using scenario::Expectation;
using scenario::ExpectKind;
using scenario::HeaderMatch;

template <typename T>
std::string field_text(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_same_v<T, Ipv4Address>) {
    return value.to_string();
  } else {
    return std::to_string(static_cast<std::uint64_t>(value));
  }
}

// Compares `bytes` (an IPv4 packet) with `m`, calling miss(field, seen, wanted) for every field
// that differs (seen is "none" where the packet has no such field) until miss returns false.
// The one place a match rule is written: matching stops at the first miss, explaining collects them.
template <typename Miss>
void compare_header(const HeaderMatch& m, ByteView bytes, Miss&& miss) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip) {
    miss("ipv4", std::string("not a valid IPv4 packet"), std::string("an IPv4 packet"));
    return;
  }
  const auto check = [&](std::string_view field, const auto& want, const auto& seen) {
    if (want && *want != seen) {
      return miss(field, field_text(seen), field_text(*want));
    }
    return true;
  };
  if (!check("src", m.src, ip->src()) || !check("dst", m.dst, ip->dst()) ||
      !check("proto", m.protocol, ip->protocol()) || !check("ttl", m.ttl, ip->ttl()) ||
      !check("tos", m.tos, ip->tos()) || !check("ecn", m.ecn, ip->ecn()) || !check("dscp", m.dscp, ip->dscp()) ||
      !check("df", m.df, ip->df()) || !check("length", m.total_length, ip->total_length())) {
    return;
  }
  const ByteView payload = ip->payload();
  if (m.dst_port) {
    const auto ports = transport_ports(payload);
    if ((ip->protocol() != ipproto::kUdp && ip->protocol() != ipproto::kTcp) || !ports ||
        ip->fragment_offset_bytes() != 0) {
      if (!miss("dst_port", std::string("none"), field_text(*m.dst_port))) {
        return;
      }
    } else if (!check("dst_port", m.dst_port, std::uint64_t{ports->dst})) {
      return;
    }
  }
  if (m.icmp_type || m.icmp_code || m.icmp_mtu) {
    const auto icmp = ip->protocol() == ipproto::kIcmp ? IcmpView::parse(payload) : std::nullopt;
    if (!icmp) {
      miss("icmp", std::string("none"), std::string("an ICMP message"));
      return;
    }
    if (!check("icmp_type", m.icmp_type, icmp->type()) || !check("icmp_code", m.icmp_code, icmp->code()) ||
        !check("icmp_mtu", m.icmp_mtu, icmp->next_hop_mtu())) {
      return;
    }
  }
}

bool header_matches(const HeaderMatch& m, ByteView bytes) {
  bool ok = true;
  compare_header(m, bytes, [&ok](std::string_view, const std::string&, const std::string&) { return ok = false; });
  return ok;
}

// Every field of `m` and `inner` the packet does not have, as "ttl 64 (want 7)".
std::vector<std::string> mismatches(const HeaderMatch& outer, const HeaderMatch& inner, ByteView bytes) {
  std::vector<std::string> out;
  const auto collect = [&out](std::string_view prefix) {
    return [&out, prefix](std::string_view field, const std::string& seen, const std::string& want) {
      out.push_back(fmt::format("{}{} {} (want {})", prefix, field, seen, want));
      return true;
    };
  };
  compare_header(outer, bytes, collect(""));
  if (!inner.empty()) {
    const auto ip = Ipv4View::parse(bytes);
    if (!ip || ip->protocol() != ipproto::kIpip || ip->is_fragment()) {
      out.emplace_back("inner: none (not a whole IPIP packet)");
    } else {
      compare_header(inner, ip->payload(), collect("inner "));
    }
  }
  return out;
}

// The fields a hop expectation can look at, for one packet ("src 18.12.0.92 dst ... len 112").
std::string header_fields(ByteView bytes) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip) {
    return fmt::format("{} bytes, not IPv4", bytes.size());
  }
  std::string text =
      fmt::format("src {} dst {} proto {} ttl {} tos 0x{:02x} df {} len {}", ip->src().to_string(),
                  ip->dst().to_string(), ip->protocol(), ip->ttl(), ip->tos(), ip->df() ? 1 : 0, ip->total_length());
  const ByteView payload = ip->payload();
  const auto ports = transport_ports(payload);
  const auto icmp = IcmpView::parse(payload);
  if ((ip->protocol() == ipproto::kUdp || ip->protocol() == ipproto::kTcp) && ports &&
      ip->fragment_offset_bytes() == 0) {
    text += fmt::format(" dst_port {}", ports->dst);
  } else if (ip->protocol() == ipproto::kIcmp && icmp) {
    const std::uint16_t mtu = icmp->next_hop_mtu();
    text += fmt::format(" icmp {}/{}{}", icmp->type(), icmp->code(), mtu != 0 ? fmt::format(" mtu {}", mtu) : "");
  } else if (ip->protocol() == ipproto::kIpip && !ip->is_fragment()) {
    text += " [" + header_fields(payload) + "]";
  }
  return text;
}

// For a failed hop expectation: the (at most 3) packets that came closest, fewest differing
// fields first (ties in capture order), each with its fields and what differs.
std::string closest_packets(const Expectation& e, const std::vector<std::vector<std::uint8_t>>& packets) {
  std::vector<std::pair<std::size_t, std::size_t>> ranked;  // (differing fields, index)
  std::vector<std::vector<std::string>> misses(packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    misses[i] = mismatches(e.outer, e.inner, packets[i]);
    if (!misses[i].empty()) {
      ranked.emplace_back(misses[i].size(), i);
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string text;
  for (std::size_t k = 0; k < std::min<std::size_t>(3, ranked.size()); ++k) {
    const std::size_t i = ranked[k].second;
    std::string differs;
    for (const std::string& m : misses[i]) {
      differs += (differs.empty() ? "" : ", ") + m;
    }
    text += fmt::format("{}packet {}: {} -- differs: {}", text.empty() ? "" : "; ", i + 1, header_fields(packets[i]),
                        differs);
  }
  return text;
}

std::string count_text(const Expectation& e) {
  if (e.count) {
    return fmt::format("{}", *e.count);
  }
  if (e.at_least) {
    return fmt::format("at least {}", *e.at_least);
  }
  return "at least 1";
}

bool count_ok(const Expectation& e, std::uint64_t seen) {
  if (e.count) {
    return seen == *e.count;
  }
  return seen >= e.at_least.value_or(1);
}

const AppObservations& app_of(const Observations& observed, const std::string& host) {
  static const AppObservations kNothing;
  auto it = observed.apps.find(host);
  return it == observed.apps.end() ? kNothing : it->second;
}

ExpectationResult judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count& tally) {
  ExpectationResult r;
  r.name = e.name;
  r.place = e.place.describe();
  switch (e.kind) {
    case ExpectKind::app_received: {
      const std::uint64_t n = tally.matching;
      const std::uint64_t bytes = tally.bytes;
      r.ok = count_ok(e, n) && (!e.bytes || bytes == *e.bytes);
      r.expected = fmt::format("received {}", count_text(e)) + (e.bytes ? fmt::format(", {} bytes", *e.bytes) : "");
      r.seen = fmt::format("received {}, {} bytes", n, bytes);
      break;
    }
    case ExpectKind::app_icmp: {
      std::uint64_t n = 0;
      std::string all;
      for (const auto& icmp : app_of(observed, e.host).icmp_errors) {
        all += fmt::format("{}{}/{} mtu {}", all.empty() ? "" : ", ", icmp.type, icmp.code, icmp.mtu);
        if ((!e.icmp_type || icmp.type == *e.icmp_type) && (!e.icmp_code || icmp.code == *e.icmp_code) &&
            (!e.icmp_mtu || icmp.mtu == *e.icmp_mtu)) {
          ++n;
        }
      }
      r.ok = count_ok(e, n);
      r.expected = fmt::format("{} ICMP {}/{}{}", count_text(e), e.icmp_type ? std::to_string(*e.icmp_type) : "*",
                               e.icmp_code ? std::to_string(*e.icmp_code) : "*",
                               e.icmp_mtu ? fmt::format(" mtu {}", *e.icmp_mtu) : "");
      r.seen = fmt::format("{} matching; all ICMP errors: [{}]", n, all);
      break;
    }
    case ExpectKind::app_echo_reply: {
      const std::uint64_t n = app_of(observed, e.host).echo_replies;
      r.ok = count_ok(e, n);
      r.expected = fmt::format("{} echo replies", count_text(e));
      r.seen = fmt::format("{} echo replies", n);
      break;
    }
    case ExpectKind::hop: {
      const std::uint64_t n = tally.matching;
      const std::uint64_t total = tally.total;
      r.ok = count_ok(e, n);
      r.expected = fmt::format("{} matching packets at {}", count_text(e), e.hop);
      r.seen = fmt::format("{} matching of {} packets", n, total);
      // Too few matched: show what did pass the hop, so the reader sees which field was off.
      const auto it = observed.hops.find(e.hop);
      if (!r.ok && n < e.count.value_or(e.at_least.value_or(1)) && it != observed.hops.end()) {
        if (const std::string closest = closest_packets(e, it->second); !closest.empty()) {
          r.seen += "; closest: " + closest;
        }
      }
      break;
    }
    case ExpectKind::dropped: {
      r.ok = true;
      std::string expected;
      std::string seen;
      std::vector<std::pair<std::string, std::uint64_t>> wanted;
      for (const auto& [reason, count] : e.drops) {
        wanted.emplace_back(to_string(reason), count);
      }
      wanted.insert(wanted.end(), e.app_drops.begin(), e.app_drops.end());
      for (const auto& [name, count] : wanted) {
        auto it = observed.dropped.find(name);
        const std::uint64_t got = it == observed.dropped.end() ? 0 : it->second;
        r.ok = r.ok && got == count;
        expected += fmt::format("{}{}={}", expected.empty() ? "" : ", ", name, count);
        seen += fmt::format("{}{}={}", seen.empty() ? "" : ", ", name, got);
      }
      if (e.dropped_total) {
        std::uint64_t total = 0;
        std::string all;
        for (const auto& [name, count] : observed.dropped) {
          total += count;
          all += fmt::format("{}{}={}", all.empty() ? "" : ", ", name, count);
        }
        r.ok = r.ok && total == *e.dropped_total;
        expected += fmt::format("{}total={}", expected.empty() ? "" : ", ", *e.dropped_total);
        seen += fmt::format("{}total={} [{}]", seen.empty() ? "" : ", ", total, all);
      }
      r.expected = "dropped " + expected;
      r.seen = "dropped " + seen;
      break;
    }
    case ExpectKind::delivered: {
      r.ok = (!e.delivered || observed.delivered == *e.delivered) && (!e.injected || observed.injected == *e.injected);
      r.expected = fmt::format("delivered {}, injected {}", e.delivered ? std::to_string(*e.delivered) : "*",
                               e.injected ? std::to_string(*e.injected) : "*");
      r.seen = fmt::format("delivered {}, injected {}", observed.delivered, observed.injected);
      break;
    }
    case ExpectKind::ordering: {
      r.ok = !tally.out_of_order;
      r.expected = "datagrams in the order sent";
      r.seen = r.ok ? fmt::format("{} datagrams in order", tally.matching)
                    : fmt::format("datagram #{} arrived after #{}", tally.late, tally.earlier);
      break;
    }
  }
  r.ok = r.ok;
  return r;
}

}  // namespace

bool matches(const HeaderMatch& outer, const HeaderMatch& inner, ByteView ip_packet) {
  if (!header_matches(outer, ip_packet)) {
    return false;
  }
  if (inner.empty()) {
    return true;
  }
  const auto ip = Ipv4View::parse(ip_packet);
  if (!ip || ip->protocol() != ipproto::kIpip || ip->is_fragment()) {
    return false;
  }
  return header_matches(inner, ip->payload());
}

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
    if (e.kind == ExpectKind::app_received || e.kind == ExpectKind::ordering) {
      slot(hosts_, host_expectations_, e.host).push_back(i);
    } else if (e.kind == ExpectKind::hop) {
      slot(hops_, hop_expectations_, e.hop).push_back(i);
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
    if (e.kind == ExpectKind::hop && std::find(hops.begin(), hops.end(), e.hop) == hops.end()) {
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
  j["passed"] = passed();
  return j.dump(indent);
}

}  // namespace tunlab
