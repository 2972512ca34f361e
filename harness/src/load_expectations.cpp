// Scenario files: expectations, their header matches and their generated names.
#include "scenario_loader_internal.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace tunlab::scenario::detail {

void Loader::load_expectations(const Value& list) {
  for (const Value& item : list.items("a list of expectations")) {
    s_.expectations.push_back(load_expectation(item));
  }
}

namespace {

std::string describe_match(const HeaderMatch& m) {
  std::vector<std::string> parts;
  if (m.src) parts.push_back("src " + m.src->to_string());
  if (m.dst) parts.push_back("dst " + m.dst->to_string());
  if (m.protocol) parts.push_back(fmt::format("proto {}", *m.protocol));
  if (m.ttl) parts.push_back(fmt::format("ttl {}", *m.ttl));
  if (m.tos) parts.push_back(fmt::format("tos {:#04x}", *m.tos));
  if (m.ecn) parts.push_back(fmt::format("ecn {}", *m.ecn));
  if (m.dscp) parts.push_back(fmt::format("dscp {}", *m.dscp));
  if (m.df) parts.push_back(*m.df ? "df" : "no df");
  if (m.total_length) parts.push_back(fmt::format("length {}", *m.total_length));
  if (m.dst_port) parts.push_back(fmt::format("dst_port {}", *m.dst_port));
  if (m.icmp_type) parts.push_back(fmt::format("icmp_type {}", *m.icmp_type));
  if (m.icmp_code) parts.push_back(fmt::format("icmp_code {}", *m.icmp_code));
  if (m.icmp_mtu) parts.push_back(fmt::format("icmp_mtu {}", *m.icmp_mtu));
  return join(parts, " ");
}

std::string describe_count(const Expectation& e) {
  if (e.count) return fmt::format("count {}", *e.count);
  if (e.at_least) return fmt::format("at least {}", *e.at_least);
  return "";
}

// The name shown in results when the file gives none: the expectation in words.
std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  switch (e.kind) {
    case ExpectKind::app_received:
      parts.push_back(e.host + ".app");
      if (e.port) parts.push_back(fmt::format("port {}", *e.port));
      if (e.count) parts.push_back(fmt::format("received {}", *e.count));
      if (e.at_least) parts.push_back(fmt::format("received at least {}", *e.at_least));
      if (e.bytes) parts.push_back(fmt::format("bytes {}", *e.bytes));
      break;
    case ExpectKind::app_icmp:
      parts.push_back(e.host + ".app");
      parts.push_back(fmt::format("ICMP type {}", *e.icmp_type));
      if (e.icmp_code) parts.push_back(fmt::format("code {}", *e.icmp_code));
      if (e.icmp_mtu) parts.push_back(fmt::format("mtu {}", *e.icmp_mtu));
      parts.push_back(describe_count(e));
      break;
    case ExpectKind::app_echo_reply:
      parts.push_back(e.host + ".app");
      parts.push_back(fmt::format("echo replies {}", *e.count));
      break;
    case ExpectKind::hop:
      parts.push_back("hop " + e.hop);
      parts.push_back(describe_count(e));
      if (!e.outer.empty()) parts.push_back("outer {" + describe_match(e.outer) + "}");
      if (!e.inner.empty()) parts.push_back("inner {" + describe_match(e.inner) + "}");
      break;
    case ExpectKind::dropped:
      parts.push_back("dropped");
      for (const auto& [reason, n] : e.drops) {
        parts.push_back(fmt::format("{} {}", to_string(reason), n));
      }
      for (const auto& [reason, n] : e.app_drops) {
        parts.push_back(fmt::format("{} {}", reason, n));
      }
      if (e.dropped_total) parts.push_back(fmt::format("total {}", *e.dropped_total));
      break;
    case ExpectKind::delivered:
      if (e.delivered) parts.push_back(fmt::format("delivered {}", *e.delivered));
      if (e.injected) parts.push_back(fmt::format("injected {}", *e.injected));
      break;
    case ExpectKind::ordering:
      parts.push_back(e.host + ".app");
      if (e.port) parts.push_back(fmt::format("port {}", *e.port));
      parts.push_back("in order");
      break;
  }
  return join(parts, " ");
}

}  // namespace

HeaderMatch Loader::load_match(const Value& value) {
  const Map m(value, {"src", "dst", "proto", "ttl", "tos", "ecn", "dscp", "df", "length", "dst_port", "icmp_type",
                      "icmp_code", "icmp_mtu"});
  HeaderMatch h;
  if (auto v = m.get("src")) h.src = v->address();
  if (auto v = m.get("dst")) h.dst = v->address();
  if (auto v = m.get("proto")) {
    static constexpr std::pair<std::string_view, std::uint8_t> kNames[] = {
        {"icmp", ipproto::kIcmp}, {"ipip", ipproto::kIpip}, {"tcp", ipproto::kTcp}, {"udp", ipproto::kUdp}};
    const std::string& text = v->scalar("a protocol number or icmp, ipip, tcp, udp");
    const auto* name =
        std::find_if(std::begin(kNames), std::end(kNames), [&](const auto& n) { return n.first == text; });
    if (name != std::end(kNames)) {
      h.protocol = name->second;
    } else if (parse_unsigned(text)) {
      h.protocol = v->number_as<std::uint8_t>();
    } else {
      v->wrong("a protocol number or icmp, ipip, tcp, udp");
    }
  }
  if (auto v = m.get("ttl")) h.ttl = v->number_as<std::uint8_t>();
  if (auto v = m.get("tos")) h.tos = v->number_as<std::uint8_t>();
  if (auto v = m.get("ecn")) h.ecn = v->number_as<std::uint8_t>(0, 3);
  if (auto v = m.get("dscp")) h.dscp = v->number_as<std::uint8_t>(0, 63);
  if (auto v = m.get("df")) h.df = v->boolean();
  if (auto v = m.get("length")) h.total_length = v->number_as<std::uint16_t>(20, 65535);
  if (auto v = m.get("dst_port")) h.dst_port = v->number_as<std::uint16_t>();
  if (auto v = m.get("icmp_type")) h.icmp_type = v->number_as<std::uint8_t>();
  if (auto v = m.get("icmp_code")) h.icmp_code = v->number_as<std::uint8_t>();
  if (auto v = m.get("icmp_mtu")) h.icmp_mtu = v->number_as<std::uint16_t>();
  if (h.empty()) {
    value.fail("matches every packet; give at least one field (src, dst, proto, ...) or leave it out");
  }
  return h;
}

Expectation Loader::load_expectation(const Value& item) {
  if (!item.node().IsMap()) {
    item.wrong("a mapping describing what to check");
  }
  // The marker keys decide what kind of expectation this is; then only that kind's keys are allowed.
  struct Kind {
    std::string_view marker;
    ExpectKind kind;
  };
  static constexpr Kind kMarkers[] = {{"icmp", ExpectKind::app_icmp},     {"echo_replies", ExpectKind::app_echo_reply},
                                      {"in_order", ExpectKind::ordering}, {"hop", ExpectKind::hop},
                                      {"dropped", ExpectKind::dropped},   {"delivered", ExpectKind::delivered},
                                      {"injected", ExpectKind::delivered}};
  std::vector<std::string_view> markers;
  std::optional<ExpectKind> kind;
  for (const Kind& k : kMarkers) {
    if (item.node()[std::string(k.marker)].IsDefined()) {
      if (kind && *kind != k.kind) {
        item.fail(fmt::format("mixes {} and {}: one expectation checks one thing", markers.front(), k.marker));
      }
      markers.push_back(k.marker);
      kind = k.kind;
    }
  }
  if (!kind) {
    if (!item.node()["at"].IsDefined()) {
      item.fail("does not say what to check: give at (HOST.app), hop, dropped, delivered or injected");
    }
    kind = ExpectKind::app_received;
  }
  std::vector<std::string_view> allowed = {"name"};
  switch (*kind) {
    case ExpectKind::app_received:
      allowed.insert(allowed.end(), {"at", "port", "received", "at_least", "bytes"});
      break;
    case ExpectKind::app_icmp:
      allowed.insert(allowed.end(), {"at", "icmp", "count", "at_least"});
      break;
    case ExpectKind::app_echo_reply:
      allowed.insert(allowed.end(), {"at", "echo_replies"});
      break;
    case ExpectKind::ordering:
      allowed.insert(allowed.end(), {"at", "port", "in_order"});
      break;
    case ExpectKind::hop:
      allowed.insert(allowed.end(), {"hop", "count", "at_least", "outer", "inner"});
      break;
    case ExpectKind::dropped:
      allowed.insert(allowed.end(), {"dropped"});
      break;
    case ExpectKind::delivered:
      allowed.insert(allowed.end(), {"delivered", "injected"});
      break;
  }
  const Map m(item, allowed);
  Expectation e;
  e.kind = *kind;
  e.place = item.place();

  if (*kind == ExpectKind::app_received || *kind == ExpectKind::app_icmp || *kind == ExpectKind::app_echo_reply ||
      *kind == ExpectKind::ordering) {
    const Value& at = m.require("at");
    const std::string& text = at.scalar("HOST.app like right.app");
    if (!text.ends_with(".app") || text.size() <= 4) {
      at.wrong("HOST.app like right.app");
    }
    e.host = host_named(at, text.substr(0, text.size() - 4)).name;
  }
  const auto count_or_at_least = [&](std::string_view count_key) {
    const Value* count = m.find(count_key);
    const Value* at_least = m.find("at_least");
    if (count && at_least) {
      at_least->fail(fmt::format("give {} or at_least, not both", count_key));
    }
    if (count) e.count = count->number(0, std::numeric_limits<std::uint64_t>::max());
    if (at_least) e.at_least = at_least->number(0, std::numeric_limits<std::uint64_t>::max());
  };
  switch (*kind) {
    case ExpectKind::app_received:
      if (auto v = m.get("port")) e.port = v->number_as<std::uint16_t>(1, 65535);
      count_or_at_least("received");
      if (auto v = m.get("bytes")) e.bytes = v->number(0, std::numeric_limits<std::uint64_t>::max());
      if (!e.count && !e.at_least && !e.bytes) {
        m.missing("received", " (or at_least, bytes): what to check at the app");
      }
      break;
    case ExpectKind::app_icmp: {
      const Map icmp(m.require("icmp"), {"type", "code", "mtu"});
      e.icmp_type = icmp.require("type").number_as<std::uint8_t>();
      if (auto v = icmp.get("code")) e.icmp_code = v->number_as<std::uint8_t>();
      if (auto v = icmp.get("mtu")) e.icmp_mtu = v->number_as<std::uint16_t>();
      count_or_at_least("count");
      if (!e.count && !e.at_least) e.at_least = 1;
      break;
    }
    case ExpectKind::app_echo_reply:
      e.count = m.require("echo_replies").number(0, std::numeric_limits<std::uint64_t>::max());
      break;
    case ExpectKind::ordering: {
      const Value& in_order = m.require("in_order");
      if (!in_order.boolean()) {
        in_order.fail("only in_order: true can be checked (leave the expectation out otherwise)");
      }
      if (auto v = m.get("port")) e.port = v->number_as<std::uint16_t>(1, 65535);
      break;
    }
    case ExpectKind::hop: {
      const Value& hop = m.require("hop");
      e.hop = hop.scalar("HOST-INTERFACE like left-eth0");
      std::vector<std::string> matches;
      for (const HostSpec& host : s_.hosts) {
        for (const InterfaceSpec& iface : host.interfaces) {
          if (host.name + "-" + iface.name == e.hop) {
            matches.push_back(host.name + "." + iface.name);
          }
        }
      }
      if (matches.empty()) {
        std::vector<std::string> hops;
        for (const HostSpec& host : s_.hosts) {
          for (const InterfaceSpec& iface : host.interfaces) {
            hops.push_back(host.name + "-" + iface.name);
          }
        }
        hop.fail(fmt::format("no interface {} (hops: {})", quote(e.hop), join(hops)));
      }
      if (matches.size() > 1) {
        hop.fail(fmt::format("{} is ambiguous: {}", quote(e.hop), join(matches, " or ")));
      }
      count_or_at_least("count");
      if (!e.count && !e.at_least) e.at_least = 1;
      if (auto v = m.get("outer")) e.outer = load_match(*v);
      if (auto v = m.get("inner")) e.inner = load_match(*v);
      break;
    }
    case ExpectKind::dropped: {
      const Value& dropped = m.require("dropped");
      if (!dropped.node().IsMap()) {
        dropped.wrong("a mapping of drop reason to count like {encap-too-big-df: 1}");
      }
      std::vector<std::string_view> names = {"total"};
      for (std::size_t i = 0; i < kDropReasonCount; ++i) {
        names.push_back(to_string(static_cast<DropReason>(i)));
      }
      // Apps other than tunlab's engine (programs included) name their own drops; their names
      // cannot be checked here.
      const bool other_apps = std::any_of(s_.tunnels.begin(), s_.tunnels.end(),
                                          [](const TunnelSpec& t) { return t.app != "ipip" || !t.command.empty(); });
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
        const std::uint64_t n = reasons.require(key).number(0, std::numeric_limits<std::uint64_t>::max());
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
      break;
    }
    case ExpectKind::delivered:
      if (auto v = m.get("delivered")) e.delivered = v->number(0, std::numeric_limits<std::uint64_t>::max());
      if (auto v = m.get("injected")) e.injected = v->number(0, std::numeric_limits<std::uint64_t>::max());
      break;
  }
  if (auto v = m.get("name")) {
    e.name = v->text();
    if (e.name.empty()) {
      v->fail("empty name; leave it out to get a generated one");
    }
  } else {
    e.name = default_name(e);
  }
  return e;
}

}  // namespace tunlab::scenario::detail
