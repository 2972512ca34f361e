// `{hop: HOST-INTERFACE, count: N, outer: {...}, inner: {...}}`: packets crossing one interface
// (either way) whose headers match; without count or at_least, at least one.
#include <fmt/format.h>

#include "header_match.hpp"
#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

// The hop label must name exactly one interface: "a-b-c" could be host a-b's c or host a's b-c.
void check_hop(const Value& hop, const std::string& label, const std::vector<HostSpec>& hosts) {
  std::vector<std::string> matches;
  for (const HostSpec& host : hosts) {
    for (const InterfaceSpec& iface : host.interfaces) {
      if (host.name + "-" + iface.name == label) {
        matches.push_back(host.name + "." + iface.name);
      }
    }
  }
  if (matches.empty()) {
    std::vector<std::string> hops;
    for (const HostSpec& host : hosts) {
      for (const InterfaceSpec& iface : host.interfaces) {
        hops.push_back(host.name + "-" + iface.name);
      }
    }
    hop.fail(fmt::format("no interface {} (hops: {})", quote(label), join(hops)));
  }
  if (matches.size() > 1) {
    hop.fail(fmt::format("{} is ambiguous: {}", quote(label), join(matches, " or ")));
  }
}

void parse(const Map& m, ExpectLoader& loader, Expectation& e) {
  const Value& hop = m.require("hop");
  e.hop = hop.scalar("HOST-INTERFACE like left-eth0");
  check_hop(hop, e.hop, loader.scenario_so_far().hosts);
  read_count_or_at_least(m, "count", e);
  if (!e.count && !e.at_least) e.at_least = 1;
  if (auto v = m.get("outer")) e.outer = loader.header_match(*v);
  if (auto v = m.get("inner")) e.inner = loader.header_match(*v);
}

std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  parts.push_back("hop " + e.hop);
  parts.push_back(describe_count(e));
  if (!e.outer.empty()) parts.push_back("outer {" + describe_match(e.outer) + "}");
  if (!e.inner.empty()) parts.push_back("inner {" + describe_match(e.inner) + "}");
  return join(parts, " ");
}

void judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count& tally,
           ExpectationResult& r) {
  const std::uint64_t n = tally.matching;
  r.ok = count_ok(e, n);
  r.expected = fmt::format("{} matching packets at {}", count_text(e), e.hop);
  r.seen = fmt::format("{} matching of {} packets", n, tally.total);
  // Too few matched: show what did pass the hop, so the reader sees which field was off.
  const auto it = observed.hops.find(e.hop);
  if (!r.ok && n < e.count.value_or(e.at_least.value_or(1)) && it != observed.hops.end()) {
    if (const std::string closest = closest_packets(e.outer, e.inner, it->second); !closest.empty()) {
      r.seen += "; closest: " + closest;
    }
  }
}

bool report_hop(const Expectation& e, const HopCrossing& hop) {
  return e.hop == hop.label && matches(e.outer, e.inner, hop.packet.bytes());
}

}  // namespace

const ExpectKindInfo& hop_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::hop,
      .markers = {"hop"},
      .keys = {"hop", "count", "at_least", "outer", "inner"},
      .report_name = "hop",
      .watch = ExpectWatch::hop_packets,
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
      .report_hop = report_hop,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
