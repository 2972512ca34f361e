// Parts several expectation kinds share: `at: HOST.app`, count or at_least, and their text.
#include <limits>

#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "tunlab/wire/udp.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

std::string app_host(const Map& entry, ExpectLoader& loader) {
  const Value& at = entry.require("at");
  const std::string& text = at.scalar("HOST.app like right.app");
  if (!text.ends_with(".app") || text.size() <= 4) {
    at.wrong("HOST.app like right.app");
  }
  return loader.host_named_at(at, text.substr(0, text.size() - 4)).name;
}

std::uint64_t count_value(const Value& value) {
  return value.number(0, std::numeric_limits<std::uint64_t>::max());
}

void read_count_or_at_least(const Map& entry, std::string_view count_key, Expectation& e) {
  const Value* count = entry.find(count_key);
  const Value* at_least = entry.find("at_least");
  if (count && at_least) {
    at_least->fail(fmt::format("give {} or at_least, not both", count_key));
  }
  if (count) e.count = count_value(*count);
  if (at_least) e.at_least = count_value(*at_least);
}

std::string describe_count(const Expectation& e) {
  if (e.count) return fmt::format("count {}", *e.count);
  if (e.at_least) return fmt::format("at least {}", *e.at_least);
  return "";
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

// The report marks these hops for the kinds that count datagrams (app_received, ordering).
bool app_datagram_hop(const Expectation& e, const HopCrossing& hop) {
  const auto ports = transport_ports(hop.innermost.payload());
  return hop.hands_to(e.host) &&
         (hop.innermost.protocol() == ipproto::kUdp || hop.innermost.protocol() == ipproto::kTcp) &&
         hop.innermost.fragment_offset_bytes() == 0 && ports && (!e.port || ports->dst == *e.port);
}

std::uint64_t total_dropped(const Observations& observed, std::string& by_reason) {
  std::uint64_t total = 0;
  for (const auto& [name, count] : observed.dropped) {
    total += count;
    by_reason += fmt::format("{}{}={}", by_reason.empty() ? "" : ", ", name, count);
  }
  return total;
}

}  // namespace tunlab::scenario::detail
