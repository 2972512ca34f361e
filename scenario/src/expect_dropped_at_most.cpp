// `{dropped_at_most: N}`: a loss budget. At most N packets dropped in all, whatever the reasons:
// what a sweep over a lossy link can promise, where `dropped:` would pin every seed's exact count.
#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

void parse(const Map& m, ExpectLoader&, Expectation& e) {
  if (auto v = m.get("dropped_at_most")) e.at_most = count_value(*v);
}

std::string default_name(const Expectation& e) {
  return fmt::format("at most {} dropped", e.at_most.value_or(0));
}

void judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count&, ExpectationResult& r) {
  std::string all;
  const std::uint64_t total = total_dropped(observed, all);
  r.ok = total <= e.at_most.value_or(0);
  r.expected = fmt::format("at most {} dropped", e.at_most.value_or(0));
  r.seen = all.empty() ? "0 dropped" : fmt::format("{} dropped [{}]", total, all);
}

// Every drop spends the budget, so the report shows them all.
bool report_drop(const Expectation&, std::string_view) {
  return true;
}

}  // namespace

const ExpectKindInfo& dropped_at_most_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::dropped_at_most,
      .markers = {"dropped_at_most"},
      .keys = {"dropped_at_most"},
      .report_name = "loss-budget",
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
      .report_drop = report_drop,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
