// `{dropped: {REASON: N, ..., total: T}}`: how many packets were dropped for each named reason
// (drop_reason.hpp's names, or the names other apps give their own drops), and over all reasons.
#include <algorithm>

#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

void parse(const Map& m, ExpectLoader& loader, Expectation& e) {
  const Value& dropped = m.require("dropped");
  if (!dropped.node().IsMap()) {
    dropped.wrong("a mapping of drop reason to count like {encap-too-big-df: 1}");
  }
  std::vector<std::string_view> names = {"total"};
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    names.push_back(to_string(static_cast<DropReason>(i)));
  }
  // Apps other than tunlab's engine name their own drops; their names cannot be checked here.
  const std::vector<TunnelSpec>& tunnels = loader.scenario_so_far().tunnels;
  const bool other_apps = std::any_of(tunnels.begin(), tunnels.end(), [](const TunnelSpec& t) {
    return t.app != AppRegistry::kDefaultApp || !t.command.empty();
  });
  std::vector<std::string> app_names;
  if (other_apps && dropped.node().IsMap()) {
    for (const auto& entry : dropped.node()) {
      if (entry.first.IsScalar()) {
        app_names.push_back(entry.first.Scalar());
      }
    }
    names.insert(names.end(), app_names.begin(), app_names.end());
  }
  const Map reasons(dropped, names);
  for (const std::string& key : reasons.keys()) {
    const std::uint64_t n = count_value(reasons.require(key));
    DropReason reason{};
    if (key == "total") {
      e.dropped_total = n;
    } else if (parse_drop_reason(key, reason)) {
      e.drops[reason] = n;
    } else {
      e.app_drops[key] = n;
    }
  }
  if (e.drops.empty() && e.app_drops.empty() && !e.dropped_total) {
    dropped.fail("empty: give reason: count pairs, or total: 0 for no drops at all");
  }
}

std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  parts.push_back("dropped");
  for (const auto& [reason, n] : e.drops) {
    parts.push_back(fmt::format("{} {}", to_string(reason), n));
  }
  for (const auto& [reason, n] : e.app_drops) {
    parts.push_back(fmt::format("{} {}", reason, n));
  }
  if (e.dropped_total) parts.push_back(fmt::format("total {}", *e.dropped_total));
  return join(parts, " ");
}

void judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count&, ExpectationResult& r) {
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
    std::string all;
    const std::uint64_t total = total_dropped(observed, all);
    r.ok = r.ok && total == *e.dropped_total;
    expected += fmt::format("{}total={}", expected.empty() ? "" : ", ", *e.dropped_total);
    seen += fmt::format("{}total={} [{}]", seen.empty() ? "" : ", ", total, all);
  }
  r.expected = "dropped " + expected;
  r.seen = "dropped " + seen;
  if (!r.ok && !observed.first_drops.empty()) {
    r.seen += "; first dropped: " + join(observed.first_drops, ", ");  // which packets, by number
  }
}

// Every drop counts towards a total; otherwise only the drop_reason.hpp reasons it names.
bool report_drop(const Expectation& e, std::string_view reason) {
  DropReason known{};
  return e.dropped_total || (parse_drop_reason(reason, known) && e.drops.count(known) != 0);
}

}  // namespace

const ExpectKindInfo& dropped_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::dropped,
      .markers = {"dropped"},
      .keys = {"dropped"},
      .report_name = "dropped",
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
      .report_drop = report_drop,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
