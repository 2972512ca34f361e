// Scenario files: expectations and their header matches. What each kind of expectation reads is
// its descriptor's (expect_kind.hpp); this file picks the kind and checks the keys against it.
#include "scenario_loader_internal.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "tunlab/scenario/expect_kind.hpp"

namespace tunlab::scenario::detail {

void Loader::load_expectations(const Value& list) {
  for (const Value& item : list.items("a list of expectations")) {
    s_.expectations.push_back(load_expectation(item));
  }
}

namespace {

// An ECN codepoint as a number or by its RFC 3168 name.
std::uint8_t ecn_codepoint(const Value& v) {
  static constexpr std::pair<std::string_view, std::uint8_t> kNames[] = {
      {"not-ect", ecn::kNotEct}, {"ect1", ecn::kEct1}, {"ect0", ecn::kEct0}, {"ce", ecn::kCe}};
  const std::string& text = v.scalar("an ECN codepoint 0..3 or not-ect, ect1, ect0, ce");
  for (const auto& [name, codepoint] : kNames) {
    if (text == name) {
      return codepoint;
    }
  }
  if (!parse_unsigned(text)) {
    v.wrong("an ECN codepoint 0..3 or not-ect, ect1, ect0, ce");
  }
  return v.number_as<std::uint8_t>(0, 3);
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
  if (auto v = m.get("ecn")) h.ecn = ecn_codepoint(*v);
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

// The kind whose marker keys the entry has; one with none but `at` counts datagrams.
const ExpectKindInfo& Loader::expectation_kind(const Value& item) const {
  const ExpectKindInfo* kind = nullptr;
  std::string_view first_marker;
  for (const ExpectKindInfo* k : expect_kinds()) {
    for (const std::string_view marker : k->markers) {
      if (!item.node()[std::string(marker)].IsDefined()) {
        continue;
      }
      if (kind != nullptr && kind != k) {
        item.fail(fmt::format("mixes {} and {}: one expectation checks one thing", first_marker, marker));
      }
      if (kind == nullptr) {
        first_marker = marker;
      }
      kind = k;
    }
  }
  if (kind == nullptr) {
    if (!item.node()["at"].IsDefined()) {
      item.fail("does not say what to check: give at (HOST.app), hop, dropped, delivered or injected");
    }
    kind = &expect_kind(ExpectKind::app_received);
  }
  return *kind;
}

Expectation Loader::load_expectation(const Value& item) {
  if (!item.node().IsMap()) {
    item.wrong("a mapping describing what to check");
  }
  const ExpectKindInfo& kind = expectation_kind(item);
  std::vector<std::string_view> allowed = {"name"};
  allowed.insert(allowed.end(), kind.keys.begin(), kind.keys.end());
  const Map m(item, allowed);
  Expectation e;
  e.kind = kind.kind;
  e.place = item.place();
  kind.parse(m, *this, e);
  if (auto v = m.get("name")) {
    e.name = v->text();
    if (e.name.empty()) {
      v->fail("empty name; leave it out to get a generated one");
    }
  } else {
    e.name = kind.default_name(e);
  }
  return e;
}

const Scenario& Loader::scenario_so_far() const {
  return s_;
}

const HostSpec& Loader::host_named_at(const Value& value, const std::string& name) {
  return host_named(value, name);
}

HeaderMatch Loader::header_match(const Value& value) {
  return load_match(value);
}

}  // namespace tunlab::scenario::detail
