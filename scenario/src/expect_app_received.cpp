// `{at: HOST.app, port: P, received: N, bytes: B}`: datagrams the host's applications received
// (on one port, or on any), counted exactly or at_least, and optionally their payload bytes.
#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

namespace {

void parse(const Map& m, ExpectLoader& loader, Expectation& e) {
  e.host = app_host(m, loader);
  if (auto v = m.get("port")) e.port = v->number_as<std::uint16_t>(1, 65535);
  read_count_or_at_least(m, "received", e);
  if (auto v = m.get("bytes")) e.bytes = count_value(*v);
  if (!e.count && !e.at_least && !e.bytes) {
    m.missing("received", " (or at_least, bytes): what to check at the app");
  }
}

std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  parts.push_back(e.host + ".app");
  if (e.port) parts.push_back(fmt::format("port {}", *e.port));
  if (e.count) parts.push_back(fmt::format("received {}", *e.count));
  if (e.at_least) parts.push_back(fmt::format("received at least {}", *e.at_least));
  if (e.bytes) parts.push_back(fmt::format("bytes {}", *e.bytes));
  return join(parts, " ");
}

void judge(const Expectation& e, const Observations&, const ExpectationTally::Count& tally, ExpectationResult& r) {
  r.ok = count_ok(e, tally.matching) && (!e.bytes || tally.bytes == *e.bytes);
  r.expected = fmt::format("received {}", count_text(e)) + (e.bytes ? fmt::format(", {} bytes", *e.bytes) : "");
  r.seen = fmt::format("received {}, {} bytes", tally.matching, tally.bytes);
}

}  // namespace

const ExpectKindInfo& app_received_kind() {
  static const ExpectKindInfo kind{
      .kind = ExpectKind::app_received,
      .markers = {},
      .keys = {"at", "port", "received", "at_least", "bytes"},
      .report_name = "app",
      .watch = ExpectWatch::app_datagrams,
      .parse = parse,
      .default_name = default_name,
      .judge = judge,
      .report_hop = app_datagram_hop,
  };
  return kind;
}

}  // namespace tunlab::scenario::detail
