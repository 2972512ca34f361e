// `{at: HOST.app, echo_replies: N}`: exactly N echo replies reached the host's applications.
#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

void parse(const Map& m, ExpectLoader& loader, Expectation& e) {
  e.host = app_host(m, loader);
  e.count = count_value(m.require("echo_replies"));
}

std::string default_name(const Expectation& e) {
  return join({e.host + ".app", fmt::format("echo replies {}", *e.count)}, " ");
}

void judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count&, ExpectationResult& r) {
  const std::uint64_t n = app_of(observed, e.host).echo_replies;
  r.ok = count_ok(e, n);
  r.expected = fmt::format("{} echo replies", count_text(e));
  r.seen = fmt::format("{} echo replies", n);
}

bool report_hop(const Expectation& e, const HopCrossing& hop) {
  return hop.hands_to(e.host) && hop.icmp && hop.icmp->type() == icmp::kEchoReply;
}

}  // namespace

const ExpectKindInfo& app_echo_reply_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::app_echo_reply,
      .markers = {"echo_replies"},
      .keys = {"at", "echo_replies"},
      .report_name = "echo",
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
      .report_hop = report_hop,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
