// The seed's flow on the simulator, end to end: app A -> left's stack -> tun0 -> app B (IPIP) ->
// eth0 -> wan -> right's eth0 -> app B' -> right's tun0 -> app C, with the bytes at every hop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_packets.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/sim/scenario_runner.hpp"
#include "tunlab/testing/packet_matchers.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::sim {
namespace {

const char* const kHops[] = {"left-tun0", "left-eth0", "wan-left", "wan-right", "right-eth0", "right-tun0"};

class SeedFlowTest : public ::testing::Test {
protected:
  void SetUp() override {
    network_ = Network::from_scenario(scenario::seed_topology(), 1);
    for (const char* hop : kHops) {
      ASSERT_TRUE(network_->watch_hop(hop)) << hop;
    }
  }

  // App A on left sends `packet` at virtual time 0; the network runs until nothing is left.
  void send_and_run(Packet packet) {
    packet.origin = network_->accounting().inject();
    network_->host("left").send_from_app(std::move(packet));
    network_->run();
  }

  std::vector<test::Bytes> seen(const std::string& hop, Direction direction) const {
    std::vector<test::Bytes> out;
    for (const HopRecord& r : network_->hop_records(hop)) {
      if (r.direction == direction) {
        out.push_back(r.bytes);
      }
    }
    return out;
  }

  std::unique_ptr<Network> network_;
};

TEST_F(SeedFlowTest, CarriesOneDatagramThroughEveryHopWithTheExpectedBytes) {
  const Packet sent = build_udp({.src = Ipv4Address("10.0.0.12"),
                                 .dst = Ipv4Address("10.0.0.22"),
                                 .src_port = 40000,
                                 .dst_port = 9000,
                                 .payload_size = 64,
                                 .tos = 0x02,
                                 .id = 0x4242,
                                 .df = true});
  const test::Bytes inner = sent.to_vector();
  send_and_run(Packet(sent.bytes()));

  // left-tun0: the inner packet as app A's socket sent it.
  ASSERT_THAT(seen("left-tun0", Direction::out), ::testing::SizeIs(1));
  EXPECT_TRUE(test::bytes_equal(inner, seen("left-tun0", Direction::out)[0]));

  // left-eth0: IPIP 18.12.0.92 -> 18.13.0.91, TOS copied, DF copied, TTL 64, length inner + 20.
  ASSERT_THAT(seen("left-eth0", Direction::out), ::testing::SizeIs(1));
  const test::Bytes outer = seen("left-eth0", Direction::out)[0];
  EXPECT_THAT(outer, testing::IsIpip("18.12.0.92", "18.13.0.91", testing::IsUdpTo("10.0.0.22", 9000)));
  const test::Bytes expected_outer =
      test::wrap_outer(inner, {.src = Ipv4Address("18.12.0.92"),
                               .dst = Ipv4Address("18.13.0.91"),
                               .tos = 0x02,
                               .ttl = 64,
                               .id = static_cast<std::uint16_t>(outer[4] << 8 | outer[5]),
                               .df = true});
  EXPECT_TRUE(test::bytes_equal(expected_outer, outer));
  EXPECT_NE((outer[4] << 8 | outer[5]), 0x4242) << "the outer ID is the encapsulator's, not the inner one";

  // wan forwards it unchanged but for TTL 63 and the header checksum.
  ASSERT_THAT(seen("wan-left", Direction::in), ::testing::ElementsAre(outer));
  ASSERT_THAT(seen("wan-right", Direction::out), ::testing::SizeIs(1));
  const test::Bytes forwarded = seen("wan-right", Direction::out)[0];
  test::Bytes expected_forwarded = outer;
  expected_forwarded[8] = 63;
  expected_forwarded[10] = expected_forwarded[11] = 0;
  const std::uint16_t sum = test::reference_checksum(std::span(expected_forwarded).first(20));
  expected_forwarded[10] = static_cast<std::uint8_t>(sum >> 8);
  expected_forwarded[11] = static_cast<std::uint8_t>(sum);
  EXPECT_TRUE(test::bytes_equal(expected_forwarded, forwarded));
  EXPECT_THAT(seen("right-eth0", Direction::in), ::testing::ElementsAre(forwarded));

  // right-tun0: app B' writes the inner packet back, byte for byte; app C gets the payload.
  ASSERT_THAT(seen("right-tun0", Direction::in), ::testing::SizeIs(1));
  EXPECT_TRUE(test::bytes_equal(inner, seen("right-tun0", Direction::in)[0]));
  const AppLog& app_c = network_->host("right").app_log();
  ASSERT_THAT(app_c.datagrams, ::testing::SizeIs(1));
  EXPECT_EQ(app_c.datagrams[0].port, 9000);
  EXPECT_EQ(app_c.datagrams[0].bytes, 64u);
  EXPECT_EQ(network_->accounting().delivered_count(), 1u);
}

TEST_F(SeedFlowTest, AnswersAnOversizeDfPacketWithFragNeededMtu1480AtAppA) {
  send_and_run(build_udp({.src = Ipv4Address("10.0.0.12"),
                          .dst = Ipv4Address("10.0.0.22"),
                          .src_port = 40000,
                          .dst_port = 9000,
                          .payload_size = 1460,
                          .df = true}));
  // 1488 bytes fit tun0's MTU of 1500, so app B sees the packet, but not the tunnel MTU of 1480.
  const auto back = seen("left-tun0", Direction::in);
  ASSERT_THAT(back, ::testing::SizeIs(1));
  EXPECT_THAT(back[0], testing::IsIcmpError(icmp::kDestUnreachable, icmp::kFragNeeded, 1480));
  const auto icmp = IcmpView::parse(Ipv4View::parse(back[0])->payload());
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type(), icmp::kDestUnreachable);
  EXPECT_EQ(icmp->code(), icmp::kFragNeeded);
  EXPECT_EQ(icmp->next_hop_mtu(), 1480);
  EXPECT_TRUE(test::checksums_ok(back[0]));
  EXPECT_THAT(seen("left-eth0", Direction::out), ::testing::IsEmpty());
  const AppLog& app_a = network_->host("left").app_log();
  ASSERT_THAT(app_a.icmp_errors, ::testing::SizeIs(1));
  EXPECT_EQ(app_a.icmp_errors[0].mtu, 1480);
  EXPECT_EQ(network_->accounting().dropped_by_reason(),
            (std::map<std::string, std::uint64_t>{{"encap-too-big-df", 1}}));
}

TEST_F(SeedFlowTest, DropsPacketsThatMustNotBeTunnelledWithANamedReason) {
  // Inner TTL 0 and an inner source equal to the tunnel's own endpoint (docs/rfc2003-ipip.md, encapsulation 8, 11).
  Packet ttl_zero = build_udp({.src = Ipv4Address("10.0.0.12"),
                               .dst = Ipv4Address("10.0.0.22"),
                               .src_port = 1,
                               .dst_port = 9000,
                               .payload_size = 8,
                               .ttl = 0});
  Packet spoofed = build_udp({.src = Ipv4Address("18.12.0.92"),
                              .dst = Ipv4Address("10.0.0.22"),
                              .src_port = 1,
                              .dst_port = 9000,
                              .payload_size = 8});
  for (Packet* p : {&ttl_zero, &spoofed}) {
    p->origin = network_->accounting().inject();
    network_->host("left").send_from_app(std::move(*p));
  }
  network_->run();
  EXPECT_EQ(network_->accounting().dropped_by_reason(),
            (std::map<std::string, std::uint64_t>{{"encap-inner-source-is-endpoint", 1}, {"encap-inner-ttl-zero", 1}}));
  EXPECT_EQ(network_->accounting().delivered_count(), 0u);
}

TEST(SeedRunTest, TwoRunsGiveByteIdenticalCapturesAndDigest) {
  scenario::Scenario s = scenario::seed_topology();
  s.name = "determinism";
  for (std::uint32_t i = 0; i < 20; ++i) {
    scenario::TrafficSpec t;
    t.from = "left";
    t.dst = Ipv4Address("10.0.0.22");
    t.size = 1400 + 5 * i;  // some DF ones exceed the tunnel MTU; non-DF ones get fragmented
    t.df = i % 3 == 0;
    t.at_ns = i * 250'000;
    s.traffic.push_back(t);
  }
  const RunSummary first = run_scenario(s, {});
  const RunSummary second = run_scenario(s, {});
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(first.to_json(), second.to_json());
  EXPECT_EQ(
      first.injected, first.delivered + [&] {
        std::uint64_t n = 0;
        for (const auto& [reason, count] : first.dropped) n += count;
        return n;
      }());
  EXPECT_GT(first.dropped.at("encap-too-big-df"), 0u);
}

}  // namespace
}  // namespace tunlab::sim
