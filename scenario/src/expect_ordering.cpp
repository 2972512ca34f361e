// `{at: HOST.app, port: P, in_order: true}`: the host's applications received the datagrams (to
// port P, or to any port) in the order the scenario sent them.
#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

void parse(const Map& m, ExpectLoader& loader, Expectation& e) {
  e.host = app_host(m, loader);
  const Value& in_order = m.require("in_order");
  if (!in_order.boolean()) {
    in_order.fail("only in_order: true can be checked (leave the expectation out otherwise)");
  }
  if (auto v = m.get("port")) e.port = v->number_as<std::uint16_t>(1, 65535);
}

std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  parts.push_back(e.host + ".app");
  if (e.port) parts.push_back(fmt::format("port {}", *e.port));
  parts.push_back("in order");
  return join(parts, " ");
}

void judge(const Expectation&, const Observations&, const ExpectationTally::Count& tally, ExpectationResult& r) {
  r.ok = !tally.out_of_order;
  r.expected = "datagrams in the order sent";
  r.seen = r.ok ? fmt::format("{} datagrams in order", tally.matching)
                : fmt::format("datagram #{} arrived after #{}", tally.late, tally.earlier);
}

}  // namespace

const ExpectKindInfo& ordering_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::ordering,
      .markers = {"in_order"},
      .keys = {"at", "port", "in_order"},
      .report_name = "ordering",
      .watch = ExpectWatch::app_datagrams,
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
      .report_hop = app_datagram_hop,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
