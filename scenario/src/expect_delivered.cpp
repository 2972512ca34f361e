// `{delivered: N, injected: M}`: the run's totals, either or both.
#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

void parse(const Map& m, ExpectLoader&, Expectation& e) {
  if (auto v = m.get("delivered")) e.delivered = count_value(*v);
  if (auto v = m.get("injected")) e.injected = count_value(*v);
}

std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  if (e.delivered) parts.push_back(fmt::format("delivered {}", *e.delivered));
  if (e.injected) parts.push_back(fmt::format("injected {}", *e.injected));
  return join(parts, " ");
}

void judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count&, ExpectationResult& r) {
  r.ok = (!e.delivered || observed.delivered == *e.delivered) && (!e.injected || observed.injected == *e.injected);
  r.expected = fmt::format("delivered {}, injected {}", e.delivered ? std::to_string(*e.delivered) : "*",
                           e.injected ? std::to_string(*e.injected) : "*");
  r.seen = fmt::format("delivered {}, injected {}", observed.delivered, observed.injected);
}

}  // namespace

const ExpectKindInfo& delivered_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::delivered,
      .markers = {"delivered", "injected"},
      .keys = {"delivered", "injected"},
      .report_name = "delivered",
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
