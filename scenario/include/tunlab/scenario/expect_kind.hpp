// The kinds of expectation (ExpectKind), one descriptor each: the keys that select it in a
// scenario file and the keys it allows, how it is read, named, judged and marked in the report.
// The loader, the judge (run_result.cpp) and the report recorder only go through this table, so a
// new kind is its ExpectKind value (and kExpectKindCount), one expect_*.cpp file defining its
// descriptor, its accessor below and a row in expect_kinds.cpp; the schema comment at the top of
// scenario_loader.cpp shows its keys (expect_kinds_test checks that). Internal to tunlab_harness.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab::scenario::detail {

class Map;
class Value;

// What a kind's parser may ask of the loader besides the entry's own keys.
class ExpectLoader {
public:
  virtual ~ExpectLoader() = default;
  // The scenario as read so far: hosts, links and tunnels are complete when expectations are read.
  virtual const Scenario& scenario_so_far() const = 0;
  // The host `name` names; fails at `value` when there is none.
  virtual const HostSpec& host_named_at(const Value& value, const std::string& name) = 0;
  // An outer: / inner: header match.
  virtual HeaderMatch header_match(const Value& value) = 0;
};

// Which packets a run counts for an expectation as they pass (ExpectationTally): none (the kind
// judges from totals, drops or the app's ICMP log), datagrams an application of `host` receives,
// or packets crossing the hop `hop`.
enum class ExpectWatch { none, app_datagrams, hop_packets };

// A hop crossing as the report recorder sees it, for the kinds that mark the hops they counted.
struct HopCrossing {
  std::string_view label;               // "left-eth0"
  const Ipv4View& packet;               // as it crossed
  const Ipv4View& innermost;            // inside every IPIP header
  const std::optional<IcmpView>& icmp;  // the innermost's ICMP message, when it is whole
  // The host whose stack the crossing hands the packet to; empty when it hands it to none.
  std::string_view delivered_to;
  bool hands_to(const std::string& host) const { return !delivered_to.empty() && delivered_to == host; }
};

struct ExpectKindInfo {
  ExpectKind kind;
  // Keys whose presence selects this kind; none for the kind an entry with only `at` is.
  std::vector<std::string_view> markers;
  // Every key the kind allows besides `name`, in the order "allowed:" messages list them.
  std::vector<std::string_view> keys;
  // The kind as the report's JSON names it.
  std::string_view report_name;
  ExpectWatch watch = ExpectWatch::none;
  // Reads the entry's keys (already checked against `keys`) into `e`; fails on bad values.
  void (*parse)(const Map& entry, ExpectLoader& loader, Expectation& e) = nullptr;
  // The name results show when the file gives none: the expectation in words.
  std::string (*default_name)(const Expectation& e) = nullptr;
  // Sets r.ok, r.expected and r.seen.
  void (*judge)(const Expectation& e, const Observations& observed, const ExpectationTally::Count& tally,
                ExpectationResult& r) = nullptr;
  // Whether the report marks this crossing as one the expectation counted; null: never.
  bool (*report_hop)(const Expectation& e, const HopCrossing& hop) = nullptr;
  // Whether the report marks a drop for `reason` as one the expectation counted; null: never.
  bool (*report_drop)(const Expectation& e, std::string_view reason) = nullptr;
};

// Every kind, in the order the loader looks for their markers ("mixes X and Y" names the first).
const std::vector<const ExpectKindInfo*>& expect_kinds();
const ExpectKindInfo& expect_kind(ExpectKind kind);

// One descriptor per file.
const ExpectKindInfo& app_received_kind();
const ExpectKindInfo& app_icmp_kind();
const ExpectKindInfo& app_echo_reply_kind();
const ExpectKindInfo& ordering_kind();
const ExpectKindInfo& hop_kind();
const ExpectKindInfo& dropped_kind();
const ExpectKindInfo& delivered_kind();
const ExpectKindInfo& dropped_at_most_kind();

// ---- Parts several kinds share (expect_common.cpp) ----

// `at: HOST.app`: the host, checked to exist.
std::string app_host(const Map& entry, ExpectLoader& loader);
// `count_key: N` (exact) or `at_least: N`, not both, into e.count / e.at_least.
void read_count_or_at_least(const Map& entry, std::string_view count_key, Expectation& e);
// A number as a 64-bit count.
std::uint64_t count_value(const Value& value);
// "count 3", "at least 2" or nothing, for generated names.
std::string describe_count(const Expectation& e);
// "3", "at least 2", for results (neither given: at least 1).
std::string count_text(const Expectation& e);
bool count_ok(const Expectation& e, std::uint64_t seen);
// A whole UDP or TCP segment handed to e.host's stack, to e.port if the expectation has one.
bool app_datagram_hop(const Expectation& e, const HopCrossing& hop);
// Every drop of the run: their total, and "reason=count, ..." in reason order.
std::uint64_t total_dropped(const Observations& observed, std::string& by_reason);
// The host's application observations (nothing when it observed nothing).
const AppObservations& app_of(const Observations& observed, const std::string& host);

}  // namespace tunlab::scenario::detail
