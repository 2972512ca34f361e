// os::RawIpipUnderlay on the seed topology without engines (root only): what this kernel does
// with IP_HDRINCL, IP_RECVERR/MSG_ERRQUEUE, EMSGSIZE and IP_MTU, and the peer filters. The seed has
// no app B here; each test opens the raw sockets itself, because the peer filter is a property of
// the socket that the scenario model does not express.
//
//   [left] raw IPIP 18.12.0.92 == [wan] router (wan->right link MTU 1400) == 18.13.0.91 raw IPIP [right]
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "os_test_support.hpp"
#include "test_packets.hpp"

namespace tunlab::os {
namespace {

using A = test::SeedAddresses;

class RealUnderlayTest : public ::testing::Test {
protected:
  void SetUp() override { TUNLAB_SKIP_UNLESS_PRIVILEGED(); }

  void build(PeerFilter filter = PeerFilter::engine, bool kernel_fragments = false) {
    test::SeedModelOptions options;
    options.right_link_mtu = 1400;
    options.tunnels = false;
    topology_ = rt::seed_topology(options);
    left_ = open_underlay("left", {A::left_eth0(), A::right_eth0(), filter, kernel_fragments});
    right_ = open_underlay("right", {A::right_eth0(), A::left_eth0(), filter});
  }

  std::unique_ptr<RawIpipUnderlay> open_underlay(const std::string& host, const RawIpipOptions& options) {
    return run_in(topology_->ns(host), [&] { return std::make_unique<RawIpipUnderlay>(options); });
  }

  // Waits (bounded) for the next event on `underlay`.
  UnderlayEvent next(RawIpipUnderlay& underlay, Packet& out, UnderlayError& error) {
    UnderlayEvent event = UnderlayEvent::nothing;
    EpollDriver driver;
    driver.add(underlay.poll_fd(), [&](std::int64_t) { event = underlay.receive(out, error); });
    driver.run_until([&] { return event != UnderlayEvent::nothing; }, rt::kDeadline);
    return event;
  }

  OuterHeader outer(std::uint16_t id, bool df) const { return {A::left_eth0(), A::right_eth0(), 64, 0, id, df}; }

  std::unique_ptr<real::RealTopology> topology_;
  std::unique_ptr<RawIpipUnderlay> left_;
  std::unique_ptr<RawIpipUnderlay> right_;
};

TEST_F(RealUnderlayTest, LocalMtuExceededIsMessageTooBigWithTheDeviceMtu) {
  build();
  RawIpipUnderlay& left = *left_;
  const IoResult result = left.send(outer(7, false), Packet(test::make_udp_bytes(1481)));
  EXPECT_EQ(result.status, IoStatus::message_too_big);
  EXPECT_EQ(result.sys_errno, EMSGSIZE);
  EXPECT_EQ(result.mtu, 1500u);
  // Each attempt (send() retries once, see raw_ipip_underlay.cpp) queued a local, not ICMP, note
  // on the error queue; receive() skips both.
  Packet out;
  UnderlayError error;
  EXPECT_EQ(left.receive(out, error), UnderlayEvent::nothing);
  EXPECT_EQ(left.local_errors_skipped(), 2u);
}

TEST_F(RealUnderlayTest, RouterFragNeededArrivesOnTheErrorQueueQuotingOurOuterHeader) {
  build();
  RawIpipUnderlay& left = *left_;
  ASSERT_EQ(left.path_mtu(), std::optional<std::uint32_t>(1500));
  const test::Bytes inner = test::make_udp_bytes(1460);
  ASSERT_EQ(left.send(outer(0xabcd, true), Packet(inner)).status, IoStatus::ok);
  Packet quoted;
  UnderlayError error;
  ASSERT_EQ(next(left, quoted, error), UnderlayEvent::error);
  EXPECT_EQ(error.reporter, A::wan_left());
  EXPECT_EQ(error.type, 3);
  EXPECT_EQ(error.code, 4);
  EXPECT_EQ(error.mtu, 1400);
  // The quote is the router's copy of what we sent: our ID proves it is not a reconstruction.
  const auto ip = Ipv4View::parse(quoted.bytes());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->id(), 0xabcd);
  EXPECT_EQ(ip->src(), A::left_eth0());
  EXPECT_EQ(ip->dst(), A::right_eth0());
  EXPECT_EQ(ip->protocol(), ipproto::kIpip);
  ASSERT_GE(quoted.size(), 20u + 28u);
  EXPECT_TRUE(test::bytes_equal(std::span(inner).first(28), quoted.bytes().subspan(20, 28)));

  // The kernel learned the path MTU: IP_MTU shows it, and the next DF send that exceeds it fails
  // locally with EMSGSIZE and that MTU.
  EXPECT_EQ(left.path_mtu(), std::optional<std::uint32_t>(1400));
  const IoResult again = left.send(outer(0xabce, true), Packet(inner));
  EXPECT_EQ(again.status, IoStatus::message_too_big);
  EXPECT_EQ(again.mtu, 1400u);
  // ip_fragment() also answered that send with an ICMP 3/4 from our own address, which lands on
  // our error queue like the router's (its pending error must not fail the next send).
  ASSERT_EQ(next(left, quoted, error), UnderlayEvent::error);
  EXPECT_EQ(error.reporter, A::left_eth0());
  EXPECT_EQ(error.type, 3);
  EXPECT_EQ(error.code, 4);
  EXPECT_EQ(error.mtu, 1400);
  EXPECT_EQ(Ipv4View::parse(quoted.bytes())->id(), 0xabce);
  // Without DF the kernel fragments our HDRINCL packet: right reassembles and gets it whole.
  ASSERT_EQ(left.send(outer(0xabcf, false), Packet(inner)).status, IoStatus::ok);
  Packet packet;
  ASSERT_EQ(next(*right_, packet, error), UnderlayEvent::packet);
  EXPECT_EQ(packet.size(), 1480u);
}

// Super-packet mode: an outer datagram above its fragment_size, DF clear.
OuterHeader super_packet_outer(std::uint16_t fragment_size) {
  OuterHeader outer{A::left_eth0(), A::right_eth0(), 33, 0x2a, 0x1234, false};
  outer.fragment_size = fragment_size;
  return outer;
}

TEST_F(RealUnderlayTest, KernelFragmentsASuperPacketDatagramAtTheRouteMtuWithOurTosTtlAndSource) {
  build(PeerFilter::engine, /*kernel_fragments=*/true);
  ASSERT_EQ(left_->path_mtu(), std::optional<std::uint32_t>(1500));
  const test::Bytes inner = test::make_udp_bytes(4000);
  const IoResult sent = left_->send(super_packet_outer(1500), Packet(inner));
  ASSERT_EQ(sent.status, IoStatus::ok);
  EXPECT_EQ(sent.bytes, inner.size() + 20);
  EXPECT_EQ(left_->kernel_fragmented(), 1u);
  Packet packet;
  UnderlayError error;
  ASSERT_EQ(next(*right_, packet, error), UnderlayEvent::packet);
  const auto ip = Ipv4View::parse(packet.bytes());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->src(), A::left_eth0());
  EXPECT_EQ(ip->protocol(), ipproto::kIpip);
  EXPECT_EQ(ip->tos(), 0x2a);
  EXPECT_EQ(ip->ttl(), 32);  // one router on the way
  EXPECT_FALSE(ip->df());
  EXPECT_TRUE(test::bytes_equal(inner, packet.bytes().subspan(20)));
}

TEST_F(RealUnderlayTest, SuperPacketDatagramsAreFragmentedHereWhenTheTunnelMtuIsNotTheRoutes) {
  build(PeerFilter::engine, /*kernel_fragments=*/true);
  const test::Bytes inner = test::make_udp_bytes(4000);
  // The kernel would fragment at 1500: fragments of 1400 are ours to make, with our ID.
  ASSERT_EQ(left_->send(super_packet_outer(1400), Packet(inner)).status, IoStatus::ok);
  EXPECT_EQ(left_->kernel_fragmented(), 0u);
  Packet packet;
  UnderlayError error;
  ASSERT_EQ(next(*right_, packet, error), UnderlayEvent::packet);
  const auto ip = Ipv4View::parse(packet.bytes());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->id(), 0x1234);
  EXPECT_EQ(ip->tos(), 0x2a);
  EXPECT_TRUE(test::bytes_equal(inner, packet.bytes().subspan(20)));
}

TEST_F(RealUnderlayTest, AnOuterSourceOtherThanTheLocalAddressIsFragmentedHere) {
  build(PeerFilter::engine, /*kernel_fragments=*/true);
  OuterHeader foreign = super_packet_outer(1500);
  foreign.src = Ipv4Address("10.99.0.1");  // not an address of left: only IP_HDRINCL may send it
  EXPECT_EQ(left_->send(foreign, Packet(test::make_udp_bytes(4000))).status, IoStatus::ok);
  EXPECT_EQ(left_->kernel_fragmented(), 0u);
  EXPECT_EQ(left_->send(super_packet_outer(1500), Packet(test::make_udp_bytes(4000))).status, IoStatus::ok);
  EXPECT_EQ(left_->kernel_fragmented(), 1u);
}

// A packet from a source other than the configured remote: wan sends one to left.
void send_foreign_ipip(const real::RealTopology& topology) {
  rt::NsSocket wan(topology.ns("wan"), SOCK_RAW, IPPROTO_IPIP);
  wan.set_int(IPPROTO_IP, IP_HDRINCL, 1);
  test::OuterSpec spec;
  spec.src = A::wan_left();
  spec.dst = A::left_eth0();
  ASSERT_EQ(wan.send_to(A::left_eth0(), 0, test::wrap_outer(test::make_udp_bytes(60), spec)), 80);
}

TEST_F(RealUnderlayTest, EngineFilterPassesForeignPacketsOn) {
  build(PeerFilter::engine);
  send_foreign_ipip(*topology_);
  Packet packet;
  UnderlayError error;
  ASSERT_EQ(next(*left_, packet, error), UnderlayEvent::packet);
  EXPECT_EQ(Ipv4View::parse(packet.bytes())->src(), A::wan_left());
}

TEST_F(RealUnderlayTest, UserspaceFilterCountsForeignPackets) {
  build(PeerFilter::userspace);
  send_foreign_ipip(*topology_);
  RawIpipUnderlay& left = *left_;
  // Then a genuine one from right, which must still arrive.
  ASSERT_EQ(right_->send({A::right_eth0(), A::left_eth0(), 64, 0, 9, false}, Packet(test::make_udp_bytes(60))).status,
            IoStatus::ok);
  Packet packet;
  UnderlayError error;
  ASSERT_EQ(next(left, packet, error), UnderlayEvent::packet);
  EXPECT_EQ(Ipv4View::parse(packet.bytes())->src(), A::right_eth0());
  EXPECT_EQ(left.foreign_dropped(), 1u);
}

TEST_F(RealUnderlayTest, KernelFilterNeverSeesForeignPackets) {
  build(PeerFilter::kernel);
  send_foreign_ipip(*topology_);
  ASSERT_EQ(right_->send({A::right_eth0(), A::left_eth0(), 64, 0, 9, false}, Packet(test::make_udp_bytes(60))).status,
            IoStatus::ok);
  Packet packet;
  UnderlayError error;
  ASSERT_EQ(next(*left_, packet, error), UnderlayEvent::packet);
  EXPECT_EQ(Ipv4View::parse(packet.bytes())->src(), A::right_eth0());
  EXPECT_EQ(left_->receive(packet, error), UnderlayEvent::nothing);
  EXPECT_EQ(left_->foreign_dropped(), 0u);
}

}  // namespace
}  // namespace tunlab::os
