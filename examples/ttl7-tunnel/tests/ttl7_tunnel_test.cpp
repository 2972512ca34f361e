// The ttl7 app B against tunlab's GMock doubles: no simulator, no kernel.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ttl7_tunnel.hpp"
#include "tunlab/testing/mocks.hpp"
#include "tunlab/testing/packet_matchers.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace {

using ::testing::_;
using ::testing::Return;
using tunlab::Ipv4Address;

class RecordingDrops final : public tunlab::DropReporter {
public:
  void dropped(const tunlab::Packet&, std::string_view reason) override { reasons.emplace_back(reason); }
  std::vector<std::string> reasons;
};

tunlab::TunnelConfig config() {
  tunlab::TunnelConfig c;
  c.local = Ipv4Address("18.12.0.92");
  c.remote = Ipv4Address("18.13.0.91");
  c.inner_address = Ipv4Address("10.0.0.12");
  c.underlay_mtu = 1500;
  return c;
}

std::vector<std::uint8_t> udp(std::size_t payload, bool df = false) {
  tunlab::UdpSpec spec;
  spec.src = Ipv4Address("10.0.0.12");
  spec.dst = Ipv4Address("10.0.0.22");
  spec.src_port = 40000;
  spec.dst_port = 9000;
  spec.payload_size = payload;
  spec.df = df;
  return tunlab::build_udp(spec).to_vector();
}

class Ttl7TunnelTest : public ::testing::Test {
protected:
  tunlab::TunnelConfig config_ = config();
  ::testing::NiceMock<tunlab::testing::MockDevice> device_;
  ::testing::NiceMock<tunlab::testing::MockUnderlay> underlay_;
  RecordingDrops drops_;
  ttl7::Ttl7Tunnel app_{tunlab::AppEnvironment{config_, device_, underlay_, drops_}};
};

TEST_F(Ttl7TunnelTest, SendsEveryInnerPacketWithOuterTtl7AndNoDfWhateverTheInnerSays) {
  EXPECT_CALL(device_, read)
      .WillOnce(tunlab::testing::ReadPacket(udp(64, /*df=*/true)))
      .WillRepeatedly(tunlab::testing::ReadNothing());
  tunlab::OuterHeader sent;
  EXPECT_CALL(underlay_, send(_, _)).WillOnce([&](const tunlab::OuterHeader& outer, tunlab::Packet&&) {
    sent = outer;
    return tunlab::IoResult{tunlab::IoStatus::ok, 0};
  });
  app_.on_device_readable(0);
  EXPECT_EQ(sent.ttl, 7);
  EXPECT_FALSE(sent.df);
  EXPECT_EQ(sent.src, Ipv4Address("18.12.0.92"));
  EXPECT_EQ(sent.dst, Ipv4Address("18.13.0.91"));
  EXPECT_TRUE(drops_.reasons.empty());
}

TEST_F(Ttl7TunnelTest, DropsWhatDoesNotFitTheUnderlayUnderItsOwnReasonAndSendsNothing) {
  EXPECT_CALL(device_, read)
      .WillOnce(tunlab::testing::ReadPacket(udp(1472)))
      .WillRepeatedly(tunlab::testing::ReadNothing());
  EXPECT_CALL(underlay_, send).Times(0);
  EXPECT_CALL(device_, write).Times(0);  // no frag-needed either
  app_.on_device_readable(0);
  EXPECT_THAT(drops_.reasons, ::testing::ElementsAre("ttl7-too-big"));
}

TEST_F(Ttl7TunnelTest, NeverRelaysAnIcmpErrorFromTheUnderlay) {
  tunlab::UnderlayError error;
  error.type = 3;
  error.code = 4;
  error.mtu = 1300;
  EXPECT_CALL(underlay_, receive)
      .WillOnce(tunlab::testing::ReceiveError(error, udp(8)))
      .WillRepeatedly(tunlab::testing::ReceiveNothing());
  EXPECT_CALL(device_, write).Times(0);
  app_.on_underlay_readable(0);
  const tunlab::AppCounters counters = app_.counters(0);
  EXPECT_THAT(counters, ::testing::Contains(std::pair<std::string, std::uint64_t>("icmp_ignored", 1)));
}

TEST_F(Ttl7TunnelTest, WritesTheInnerPacketOfItsPeerAndDropsAStrangersUnderItsOwnReason) {
  const std::vector<std::uint8_t> inner = udp(32);
  std::vector<std::uint8_t> from_peer(20, 0);
  tunlab::write_ipv4_header(from_peer, {Ipv4Address("18.13.0.91"), Ipv4Address("18.12.0.92"), 4, 0, 7},
                            static_cast<std::uint16_t>(20 + inner.size()));
  from_peer.insert(from_peer.end(), inner.begin(), inner.end());
  std::vector<std::uint8_t> from_stranger = from_peer;
  tunlab::write_ipv4_header(from_stranger, {Ipv4Address("18.99.0.1"), Ipv4Address("18.12.0.92"), 4, 0, 7},
                            static_cast<std::uint16_t>(20 + inner.size()));
  EXPECT_CALL(underlay_, receive)
      .WillOnce(tunlab::testing::ReceivePacket(from_peer))
      .WillOnce(tunlab::testing::ReceivePacket(from_stranger))
      .WillRepeatedly(tunlab::testing::ReceiveNothing());
  EXPECT_CALL(device_, write(tunlab::testing::IsUdpTo(Ipv4Address("10.0.0.22"), 9000)))
      .WillOnce(Return(tunlab::IoResult{tunlab::IoStatus::ok, inner.size()}));
  app_.on_underlay_readable(0);
  EXPECT_THAT(drops_.reasons, ::testing::ElementsAre("ttl7-not-from-peer"));
}

}  // namespace
