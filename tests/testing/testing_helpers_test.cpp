// The rest of tunlab::testing: MockDropReporter, the in-memory Device and Underlay pair, the
// DSCP/ECN/protocol/checksum matchers, the printers and the summary assertion.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunlab/testing/memory_io.hpp"
#include "tunlab/testing/mocks.hpp"
#include "tunlab/testing/packet_matchers.hpp"
#include "tunlab/testing/printers.hpp"
#include "tunlab/tunnel/tunnel_engine.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::testing {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;

Packet udp(std::uint8_t tos, std::size_t size = 64) {
  UdpSpec spec;
  spec.src = Ipv4Address("10.0.0.12");
  spec.dst = Ipv4Address("10.0.0.22");
  spec.dst_port = 9000;
  spec.payload_size = size;
  spec.tos = tos;
  return build_udp(spec);
}

TunnelConfig config(const char* local, const char* remote) {
  TunnelConfig c;
  c.local = Ipv4Address(local);
  c.remote = Ipv4Address(remote);
  c.inner_address = Ipv4Address("10.0.0.12");
  return c;
}

TEST(MemoryIo, TwoEnginesCarryAPacketThroughTheUnderlayPairWithoutANetwork) {
  MemoryDevice left_tun;
  MemoryDevice right_tun;
  auto [left_wire, right_wire] = memory_underlay_pair();
  TunnelEngine left(config("18.12.0.92", "18.13.0.91"), left_tun, *left_wire);
  TunnelEngine right(config("18.13.0.91", "18.12.0.92"), right_tun, *right_wire);
  left_tun.push(udp(0xb9));
  left.on_device_readable(0);
  ASSERT_EQ(left_wire->sent().size(), 1u);
  EXPECT_THAT(left_wire->sent()[0], IsIpipPacket("18.12.0.92", "18.13.0.91"));
  EXPECT_THAT(left_wire->sent()[0], HasValidIpv4Checksum());
  EXPECT_THAT(left_wire->sent()[0], HasDscp(46));
  EXPECT_THAT(left_wire->sent()[0], HasEcn(1));
  EXPECT_THAT(left_wire->sent()[0], HasProtocol(ipproto::kIpip));
  ASSERT_EQ(right_wire->pending(), 1u);
  right.on_underlay_readable(0);
  ASSERT_EQ(right_tun.written().size(), 1u);
  EXPECT_THAT(right_tun.written()[0], IsUdpTo("10.0.0.22", 9000));
  EXPECT_EQ(right_wire->pending(), 0u);
}

TEST(MockDropReporter, SaysWhichDropATestWants) {
  MockDropReporter drops;
  MemoryDevice tun;
  auto [wire, peer] = memory_underlay_pair();
  TunnelConfig c = config("18.12.0.92", "18.13.0.91");
  TunnelEngine engine(c, tun, *wire);
  engine.set_drop_observer([&drops](const Packet& p, DropReason reason) { drops.dropped(p, to_string(reason)); });
  EXPECT_CALL(drops, dropped(_, std::string_view("decap-unknown-peer"))).Times(1);
  // An IPIP packet from a stranger.
  Packet inner = udp(0);
  OuterHeader outer;
  outer.src = Ipv4Address("18.12.0.99");
  outer.dst = Ipv4Address("18.12.0.92");
  MemoryUnderlay stranger;
  stranger.send(outer, std::move(inner));
  wire->deliver(stranger.sent()[0]);
  engine.on_underlay_readable(0);
  EXPECT_TRUE(tun.written().empty());
}

TEST(Matchers, ExplainWhatTheyFound) {
  const std::vector<std::uint8_t> bytes = udp(0x2a).to_vector();
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(HasDscp(46), bytes, &listener));
  EXPECT_EQ(listener.str(), "whose DSCP is 10");
  EXPECT_THAT(bytes, HasEcn(2));
  EXPECT_THAT(bytes, HasProtocol(17));
  std::vector<std::uint8_t> broken = bytes;
  broken[10] ^= 0xff;
  EXPECT_THAT(broken, Not(HasValidIpv4Checksum()));
}

TEST(Printers, ShowDecodedHeadersNotBytes) {
  const std::string packet = ::testing::PrintToString(udp(0xb8));
  EXPECT_THAT(packet, HasSubstr("UDP 10.0.0.12 > 10.0.0.22"));
  EXPECT_THAT(packet, HasSubstr("tos 0xb8"));
  OuterHeader outer;
  outer.src = Ipv4Address("18.12.0.92");
  outer.dst = Ipv4Address("18.13.0.91");
  outer.ttl = 32;
  outer.df = true;
  EXPECT_EQ(::testing::PrintToString(outer), "OuterHeader(18.12.0.92 > 18.13.0.91 ttl 32 tos 0x0 id 0 DF)");
  const Packet p = udp(0);
  EXPECT_THAT(::testing::PrintToString(*Ipv4View::parse(p.bytes())), HasSubstr("Ipv4View(UDP 10.0.0.12"));
}

TEST(Passed, PrintsOnlyTheFailingExpectations) {
  RunSummary summary;
  summary.scenario = "plain-seed";
  summary.expectations.push_back({"app C gets 3", true, "3", "3", "a.yaml:10:5"});
  summary.expectations.push_back({"outer TTL 64", false, "count 3", "0 (closest: ttl 32)", "a.yaml:12:5"});
  const ::testing::AssertionResult r = Passed(summary);
  EXPECT_FALSE(r);
  EXPECT_EQ(std::string(r.message()),
            "scenario plain-seed failed 1 of 2 expectations:\n  outer TTL 64 (a.yaml:12:5): expected count 3; seen 0 "
            "(closest: ttl 32)");
  summary.expectations.pop_back();
  EXPECT_TRUE(Passed(summary));
}

}  // namespace
}  // namespace tunlab::testing
