// `{at: HOST.app, icmp: {type: T, code: C, mtu: M}, count: N}`: ICMP errors the host's
// applications were told of (code and mtu optional); without count or at_least, at least one.
#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

void parse(const Map& m, ExpectLoader& loader, Expectation& e) {
  e.host = app_host(m, loader);
  const Map icmp(m.require("icmp"), {"type", "code", "mtu"});
  e.icmp_type = icmp.require("type").number_as<std::uint8_t>();
  if (auto v = icmp.get("code")) e.icmp_code = v->number_as<std::uint8_t>();
  if (auto v = icmp.get("mtu")) e.icmp_mtu = v->number_as<std::uint16_t>();
  read_count_or_at_least(m, "count", e);
  if (!e.count && !e.at_least) e.at_least = 1;
}

std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  parts.push_back(e.host + ".app");
  parts.push_back(fmt::format("ICMP type {}", *e.icmp_type));
  if (e.icmp_code) parts.push_back(fmt::format("code {}", *e.icmp_code));
  if (e.icmp_mtu) parts.push_back(fmt::format("mtu {}", *e.icmp_mtu));
  parts.push_back(describe_count(e));
  return join(parts, " ");
}

void judge(const Expectation& e, const Observations& observed, const ExpectationTally::Count&, ExpectationResult& r) {
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
}

bool report_hop(const Expectation& e, const HopCrossing& hop) {
  return hop.hands_to(e.host) && hop.icmp && hop.icmp->is_error() &&
         (!e.icmp_type || *e.icmp_type == hop.icmp->type()) && (!e.icmp_code || *e.icmp_code == hop.icmp->code()) &&
         (!e.icmp_mtu || *e.icmp_mtu == hop.icmp->next_hop_mtu());
}

}  // namespace

const ExpectKindInfo& app_icmp_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::app_icmp,
      .markers = {"icmp"},
      .keys = {"at", "icmp", "count", "at_least"},
      .report_name = "icmp",
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
      .report_hop = report_hop,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
