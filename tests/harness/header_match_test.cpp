// Header matches of hop expectations (outer: / inner:), read from a scenario file and judged
// against packets built by libtins: dscp and ecn pick their bits of the TOS byte, on the outer
// header and inside an IPIP packet, and a failed match says which field differed.
#include <gtest/gtest.h>

#include <string>

#include "test_packets.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario_loader.hpp"

namespace tunlab {
namespace {

using test::Bytes;

// The one hop expectation of a seed scenario whose match keys are `match`.
scenario::Scenario hop_expecting(const std::string& match) {
  return scenario::load_scenario_text("name: m\nexpect:\n  - {hop: left-eth0, count: 1, " + match + "}\n", "m.yaml");
}

bool hop_matches(const std::string& match, const Bytes& packet) {
  const scenario::Scenario s = hop_expecting(match);  // kept: the expectation lives inside it
  const scenario::Expectation& e = s.expectations.at(0);
  return matches(e.outer, e.inner, packet);
}

// DSCP 46 (EF), ECN ECT(0): TOS 0xba.
constexpr std::uint8_t kEfEct0 = (46 << 2) | ecn::kEct0;

TEST(HeaderMatch, DscpAndEcnMatchTheirBitsOfTheOuterTos) {
  const Bytes packet = test::make_udp_bytes(64, {.tos = kEfEct0});
  EXPECT_TRUE(hop_matches("outer: {dscp: 46}", packet));
  EXPECT_TRUE(hop_matches("outer: {ecn: 2}", packet));
  EXPECT_TRUE(hop_matches("outer: {dscp: 46, ecn: ect0}", packet));
  EXPECT_FALSE(hop_matches("outer: {dscp: 10}", packet));
  EXPECT_FALSE(hop_matches("outer: {dscp: 46, ecn: ce}", packet));
  EXPECT_FALSE(hop_matches("outer: {ecn: not-ect}", packet));
}

TEST(HeaderMatch, EcnNamesAreTheFourCodepoints) {
  const std::pair<const char*, std::uint8_t> names[] = {
      {"not-ect", ecn::kNotEct}, {"ect1", ecn::kEct1}, {"ect0", ecn::kEct0}, {"ce", ecn::kCe}};
  for (const auto& [name, codepoint] : names) {
    const Bytes packet = test::make_udp_bytes(64, {.tos = static_cast<std::uint8_t>((10 << 2) | codepoint)});
    for (std::uint8_t other = 0; other < 4; ++other) {
      const Bytes other_packet = test::make_udp_bytes(64, {.tos = static_cast<std::uint8_t>((10 << 2) | other)});
      EXPECT_EQ(hop_matches(std::string("outer: {ecn: ") + name + "}", other_packet), other == codepoint)
          << name << " against ECN " << int{other};
    }
    EXPECT_EQ(hop_expecting(std::string("outer: {ecn: ") + name + "}").expectations[0].outer.ecn.value_or(99),
              codepoint);
    EXPECT_TRUE(hop_matches(std::string("outer: {dscp: 10, ecn: ") + name + "}", packet));
  }
}

TEST(HeaderMatch, InnerDscpAndEcnLookInsideTheIpipPacket) {
  const Bytes inner = test::make_udp_bytes(64, {.tos = kEfEct0});
  const Bytes packet = test::wrap_outer(inner, {.tos = (8 << 2) | ecn::kCe});
  EXPECT_TRUE(hop_matches("outer: {dscp: 8, ecn: ce}, inner: {dscp: 46, ecn: ect0}", packet));
  EXPECT_FALSE(hop_matches("inner: {dscp: 8}", packet));
  EXPECT_FALSE(hop_matches("inner: {ecn: ce}", packet));
  // Not an IPIP packet: nothing inside to match.
  EXPECT_FALSE(hop_matches("inner: {dscp: 46}", inner));
}

TEST(HeaderMatch, InnerLooksInsideAnIpInUdpDatagram) {
  const Bytes inner = test::make_udp_bytes(64, {.tos = kEfEct0});
  const Bytes packet = test::wrap_udp(inner, 5555, {.ttl = 17});
  EXPECT_TRUE(hop_matches("outer: {proto: udp, dst_port: 5555, ttl: 17}, inner: {dscp: 46, proto: udp}", packet));
  EXPECT_FALSE(hop_matches("outer: {proto: udp, dst_port: 5556}", packet));
  EXPECT_FALSE(hop_matches("inner: {dscp: 8}", packet));
  // A UDP datagram that does not hold an IPv4 packet has no inner packet.
  EXPECT_FALSE(hop_matches("inner: {proto: udp}", test::wrap_udp(test::pattern_bytes(40, 7), 5555)));
}

TEST(HeaderMatch, AFailedHopExpectationNamesTheDifferingDscpAndEcn) {
  const scenario::Scenario s = hop_expecting("outer: {dscp: 10, ecn: ce}");
  Observations observed;
  observed.hops["left-eth0"].push_back(test::make_udp_bytes(64, {.tos = kEfEct0}));
  const std::vector<ExpectationResult> results = evaluate_expectations(s, observed);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].seen.find("differs: ecn 2 (want 3), dscp 46 (want 10)"), std::string::npos) << results[0].seen;
}

}  // namespace
}  // namespace tunlab
