// The tunnel engine (app B) against GMock doubles of its device and underlay: what it sends,
// writes, drops and counts for each kind of input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <algorithm>

#include <cerrno>

#include <tins/tins.h>

#include "test_packets.hpp"
#include "tunlab/testing/mocks.hpp"
#include "tunlab/tunnel/tunnel_engine.hpp"
#include "tunlab/wire/ethernet.hpp"

namespace tunlab {
namespace {

using ::testing::_;
using ::testing::InSequence;
using ::testing::Invoke;
using testing::MockDevice;
using testing::MockUnderlay;
using ::testing::NiceMock;
using testing::ReadNothing;
using testing::ReadPacket;
using testing::ReceiveError;
using testing::ReceiveNothing;
using testing::ReceivePacket;
using ::testing::Return;

TunnelConfig left_config() {
  TunnelConfig c;
  c.local = Ipv4Address("18.12.0.92");
  c.remote = Ipv4Address("18.13.0.91");
  c.inner_address = Ipv4Address("10.0.0.12");
  return c;
}

class TunnelEngineTest : public ::testing::Test {
protected:
  NiceMock<MockDevice> device_;
  NiceMock<MockUnderlay> underlay_;
  TunnelEngine engine_{left_config(), device_, underlay_};
};

TEST_F(TunnelEngineTest, SendsEachDevicePacketThroughTheUnderlayWithRfcOuterFields) {
  const test::Bytes inner = test::make_udp_bytes(84, {.tos = 0x2a, .df = true});
  EXPECT_CALL(device_, read).WillOnce(ReadPacket(inner)).WillOnce(ReadNothing());
  OuterHeader sent;
  test::Bytes sent_inner;
  EXPECT_CALL(underlay_, send).WillOnce(Invoke([&](const OuterHeader& outer, Packet&& packet) {
    sent = outer;
    sent_inner = packet.to_vector();
    return IoResult{IoStatus::ok, packet.size()};
  }));

  EXPECT_EQ(engine_.poll_device(0), 1u);

  EXPECT_EQ(sent.src, Ipv4Address("18.12.0.92"));
  EXPECT_EQ(sent.dst, Ipv4Address("18.13.0.91"));
  EXPECT_EQ(sent.ttl, 64);
  EXPECT_EQ(sent.tos, 0x2a);
  EXPECT_TRUE(sent.df);
  EXPECT_TRUE(test::bytes_equal(inner, sent_inner));
  EXPECT_EQ(engine_.counters().outer_packets_sent, 1u);
  EXPECT_EQ(engine_.counters().device_packets_read, 1u);
}

TEST_F(TunnelEngineTest, StopsAtEagainAndCountsIt) {
  EXPECT_CALL(device_, read).WillOnce(ReadNothing());
  EXPECT_CALL(underlay_, send).Times(0);
  EXPECT_EQ(engine_.poll_device(0), 0u);
  EXPECT_EQ(engine_.counters().device_eagain, 1u);
}

TEST_F(TunnelEngineTest, CountsAFailedReadAsAReadErrorAndShowsItInTheCounters) {
  EXPECT_CALL(device_, read).WillOnce(Return(IoResult{IoStatus::error, 0, 0, EIO}));
  engine_.poll_device(0);
  EXPECT_EQ(engine_.counters().device_read_errors, 1u);
  EXPECT_EQ(engine_.counters().device_write_errors, 0u) << "a failed read is no write error";
  const AppCounters shown = engine_.counters(0);
  EXPECT_NE(std::find(shown.begin(), shown.end(), std::pair<std::string, std::uint64_t>("device_read_errors", 1)),
            shown.end());
}

TEST_F(TunnelEngineTest, RespectsThePollBudget) {
  const test::Bytes inner = test::make_udp_bytes(60);
  EXPECT_CALL(device_, read).Times(3).WillRepeatedly(ReadPacket(inner));
  EXPECT_CALL(underlay_, send).Times(3).WillRepeatedly(Return(IoResult{}));
  EXPECT_EQ(engine_.poll_device(0, 3), 3u);
}

TEST_F(TunnelEngineTest, DropsATruncatedReadInsteadOfForwardingItsHead) {
  std::vector<DropReason> drops;
  engine_.set_drop_observer([&](const Packet&, DropReason r) { drops.push_back(r); });
  EXPECT_CALL(device_, read)
      .WillOnce(Invoke([](Packet& out) {
        out.assign(test::make_udp_bytes(100));
        out.resize(50);
        return IoResult{IoStatus::truncated, 50};
      }))
      .WillOnce(ReadNothing());
  EXPECT_CALL(underlay_, send).Times(0);
  engine_.poll_device(0);
  EXPECT_THAT(drops, ::testing::ElementsAre(DropReason::device_read_truncated));
}

TEST_F(TunnelEngineTest, AnswersAnOversizeDfPacketWithFragNeededIntoTheDevice) {
  const test::Bytes inner = test::make_udp_bytes(1500, {.df = true});
  EXPECT_CALL(device_, read).WillOnce(ReadPacket(inner)).WillOnce(ReadNothing());
  EXPECT_CALL(underlay_, send).Times(0);
  test::Bytes written;
  EXPECT_CALL(device_, write).WillOnce(Invoke([&](ByteView bytes) {
    written.assign(bytes.begin(), bytes.end());
    return IoResult{IoStatus::ok, bytes.size()};
  }));

  engine_.poll_device(0);

  Tins::IP ip(written.data(), static_cast<std::uint32_t>(written.size()));
  ASSERT_EQ(ip.protocol(), 1);
  const auto& icmp = ip.rfind_pdu<Tins::ICMP>();
  EXPECT_EQ(icmp.type(), Tins::ICMP::DEST_UNREACHABLE);
  EXPECT_EQ(icmp.code(), 4);
  EXPECT_EQ(icmp.mtu(), 1480);
  EXPECT_EQ(ip.dst_addr(), Tins::IPv4Address("10.0.0.12"));
  EXPECT_EQ(engine_.counters().drops[DropReason::encap_too_big_df], 1u);
  EXPECT_EQ(engine_.counters().icmp_sent_to_inner, 1u);
}

TEST_F(TunnelEngineTest, WritesTheDecapsulatedInnerPacketByteForByte) {
  const test::Bytes inner =
      test::make_udp_bytes(200, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")});
  EXPECT_CALL(underlay_, receive).WillOnce(ReceivePacket(test::wrap_outer(inner))).WillOnce(ReceiveNothing());
  test::Bytes written;
  EXPECT_CALL(device_, write).WillOnce(Invoke([&](ByteView bytes) {
    written.assign(bytes.begin(), bytes.end());
    return IoResult{IoStatus::ok, bytes.size()};
  }));
  EXPECT_EQ(engine_.poll_underlay(0), 1u);
  EXPECT_TRUE(test::bytes_equal(inner, written));
  EXPECT_EQ(engine_.counters().outer_packets_received, 1u);
}

TEST_F(TunnelEngineTest, DropsOuterPacketsFromAnUnknownPeer) {
  const test::Bytes inner =
      test::make_udp_bytes(100, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")});
  EXPECT_CALL(underlay_, receive)
      .WillOnce(ReceivePacket(test::wrap_outer(inner, {.src = Ipv4Address("18.13.0.66")})))
      .WillOnce(ReceiveNothing());
  EXPECT_CALL(device_, write).Times(0);
  engine_.poll_underlay(0);
  EXPECT_EQ(engine_.counters().drops[DropReason::decap_unknown_peer], 1u);
}

TEST_F(TunnelEngineTest, LearnsPathMtuFromFragNeededAndRelaysItToTheInnerSource) {
  const test::Bytes inner = test::make_udp_bytes(1400, {.df = true});
  const test::Bytes outer =
      test::wrap_outer(inner, {.src = Ipv4Address("18.12.0.92"), .dst = Ipv4Address("18.13.0.91")});
  const test::Bytes quote(outer.begin(), outer.begin() + 20 + 28 + 8);
  // The quoted outer packet (ID 1) is one the engine sent: only then is the 3/4 believed (RFC 5927).
  EXPECT_CALL(device_, read).WillOnce(ReadPacket(inner)).WillOnce(ReadNothing());
  EXPECT_CALL(underlay_, send).WillOnce(Return(IoResult{IoStatus::ok, inner.size()}));
  engine_.poll_device(0);
  EXPECT_CALL(underlay_, receive)
      .WillOnce(ReceiveError({Ipv4Address("18.12.0.1"), 3, 4, 1400}, quote))
      .WillOnce(ReceiveNothing());
  test::Bytes written;
  EXPECT_CALL(device_, write).WillOnce(Invoke([&](ByteView bytes) {
    written.assign(bytes.begin(), bytes.end());
    return IoResult{IoStatus::ok, bytes.size()};
  }));

  engine_.poll_underlay(0);

  EXPECT_EQ(engine_.tunnel_mtu(0), 1380u);
  EXPECT_EQ(engine_.counters().path_mtu_updates, 1u);
  Tins::IP ip(written.data(), static_cast<std::uint32_t>(written.size()));
  EXPECT_EQ(ip.rfind_pdu<Tins::ICMP>().mtu(), 1380);
  EXPECT_EQ(ip.dst_addr(), Tins::IPv4Address("10.0.0.12"));
}

TEST_F(TunnelEngineTest, CountsARouteLoopAsADropOfThatPacket) {
  std::vector<std::pair<std::uint32_t, DropReason>> drops;
  engine_.set_drop_observer([&](const Packet& p, DropReason r) { drops.emplace_back(p.origin, r); });
  EXPECT_CALL(device_, read)
      .WillOnce(Invoke([](Packet& out) {
        out.assign(test::make_udp_bytes(84));
        out.origin = 7;
        return IoResult{IoStatus::ok, out.size()};
      }))
      .WillOnce(ReadNothing());
  EXPECT_CALL(underlay_, send).WillOnce(Return(IoResult{IoStatus::route_loop}));
  engine_.poll_device(0);
  EXPECT_THAT(drops, ::testing::ElementsAre(std::pair<std::uint32_t, DropReason>{7, DropReason::encap_route_loop}));
}

TEST_F(TunnelEngineTest, CountsAWriteToADownDeviceAsDeviceDown) {
  const test::Bytes inner =
      test::make_udp_bytes(100, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")});
  EXPECT_CALL(underlay_, receive).WillOnce(ReceivePacket(test::wrap_outer(inner))).WillOnce(ReceiveNothing());
  EXPECT_CALL(device_, write).WillOnce(Return(IoResult{IoStatus::device_down, 0, 0, EIO}));
  engine_.poll_underlay(0);
  EXPECT_EQ(engine_.counters().drops[DropReason::device_down], 1u);
  EXPECT_EQ(engine_.counters().device_write_errors, 1u);
}

// A device that says batched I/O is its cheaper path (as the real TUN device with io_uring):
// reads go through the default read_many loop, counted; writes are recorded and can fail once.
class BatchingDevice : public NiceMock<MockDevice> {
public:
  DeviceCapabilities capabilities() const override {
    DeviceCapabilities can;
    can.batched_io = true;
    return can;
  }
  std::size_t read_many(std::span<Packet> out, std::span<IoResult> results) override {
    ++read_many_calls;
    return Device::read_many(out, results);
  }
  std::size_t write_many(std::span<const Packet> packets, std::span<IoResult> results) override {
    ++write_many_calls;
    for (std::size_t i = 0; i < packets.size(); ++i) {
      if (written.size() + failed == fail_at && failed == 0) {
        ++failed;
        results[i] = IoResult{IoStatus::device_down, 0, 0, EIO};
        return i + 1;
      }
      written.push_back(packets[i].to_vector());
      results[i] = IoResult{IoStatus::ok, packets[i].size()};
    }
    return packets.size();
  }
  std::size_t read_many_calls = 0;
  std::size_t write_many_calls = 0;
  std::vector<test::Bytes> written;
  std::size_t fail_at = SIZE_MAX;  // the index (over all writes) of the one that fails
  std::size_t failed = 0;
};

class BatchingEngineTest : public ::testing::Test {
protected:
  static test::Bytes inner(std::uint32_t seed) {
    return test::make_udp_bytes(
        60, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12"), .payload_seed = seed});
  }
  void receive_outer(std::size_t count) {
    ::testing::Sequence order;
    for (std::size_t i = 0; i < count; ++i) {
      EXPECT_CALL(underlay_, receive)
          .InSequence(order)
          .WillOnce(ReceivePacket(test::wrap_outer(inner(static_cast<std::uint32_t>(i)))));
    }
    EXPECT_CALL(underlay_, receive).InSequence(order).WillOnce(ReceiveNothing());
  }
  BatchingDevice device_;
  NiceMock<MockUnderlay> underlay_;
  TunnelEngine engine_{left_config(), device_, underlay_};
};

TEST_F(BatchingEngineTest, ReadsInOneBatchAndWritesEveryDecapsulatedPacketInOneBatchInOrder) {
  const test::Bytes packet = test::make_udp_bytes(84);
  EXPECT_CALL(device_, read)
      .WillOnce(ReadPacket(packet))
      .WillOnce(ReadPacket(packet))
      .WillOnce(ReadPacket(packet))
      .WillOnce(ReadNothing());
  EXPECT_CALL(underlay_, send).Times(3).WillRepeatedly(Return(IoResult{IoStatus::ok, 0}));
  EXPECT_EQ(engine_.poll_device(0), 3u);
  EXPECT_EQ(device_.read_many_calls, 1u);
  EXPECT_EQ(engine_.counters().device_eagain, 1u);

  receive_outer(5);
  EXPECT_CALL(device_, write).Times(0);  // nothing bypasses the batch
  EXPECT_EQ(engine_.poll_underlay(0), 5u);
  EXPECT_EQ(device_.write_many_calls, 1u);
  ASSERT_EQ(device_.written.size(), 5u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(test::bytes_equal(inner(i), device_.written[i])) << "packet " << i;
  }
  EXPECT_EQ(engine_.counters().device_packets_written, 5u);
}

TEST_F(BatchingEngineTest, AFailedWriteInABatchIsCountedAndThePacketsAfterItAreStillWritten) {
  device_.fail_at = 2;
  receive_outer(5);
  engine_.poll_underlay(0);
  EXPECT_EQ(device_.write_many_calls, 2u);
  ASSERT_EQ(device_.written.size(), 4u);
  const std::uint32_t expected[] = {0, 1, 3, 4};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(test::bytes_equal(inner(expected[i]), device_.written[i])) << "packet " << i;
  }
  EXPECT_EQ(engine_.counters().device_packets_written, 4u);
  EXPECT_EQ(engine_.counters().device_write_errors, 1u);
  EXPECT_EQ(engine_.counters().drops[DropReason::device_down], 1u);
}

class TapEngineTest : public TunnelEngineTest {
protected:
  void SetUp() override {
    DeviceCapabilities tap;
    tap.kind = DeviceKind::tap;
    ON_CALL(device_, capabilities).WillByDefault(Return(tap));
  }
  const Tins::HWAddress<6> host_mac_{"02:00:00:00:01:02"};
};

TEST_F(TapEngineTest, AnswersArpForAnyAddressWithItsOwnMac) {
  Tins::EthernetII request = Tins::ARP::make_arp_request("10.0.0.22", "10.0.0.12", host_mac_);
  EXPECT_CALL(device_, read).WillOnce(ReadPacket(test::serialize(request))).WillOnce(ReadNothing());
  test::Bytes written;
  EXPECT_CALL(device_, write).WillOnce(Invoke([&](ByteView bytes) {
    written.assign(bytes.begin(), bytes.end());
    return IoResult{IoStatus::ok, bytes.size()};
  }));
  EXPECT_CALL(underlay_, send).Times(0);

  engine_.poll_device(0);

  Tins::EthernetII reply(written.data(), static_cast<std::uint32_t>(written.size()));
  const auto& arp = reply.rfind_pdu<Tins::ARP>();
  EXPECT_EQ(arp.opcode(), Tins::ARP::REPLY);
  EXPECT_EQ(arp.sender_ip_addr(), Tins::IPv4Address("10.0.0.22"));
  EXPECT_EQ(arp.sender_hw_addr(), Tins::HWAddress<6>(kTapEngineMac.data()));
  EXPECT_EQ(reply.dst_addr(), host_mac_);
  EXPECT_EQ(engine_.counters().tap_arp_replies, 1u);
}

TEST_F(TapEngineTest, StripsTheEthernetHeaderBeforeEncapsulatingAndAddsItWhenDecapsulating) {
  const test::Bytes inner = test::make_udp_bytes(100);
  Tins::EthernetII frame(Tins::HWAddress<6>(kTapEngineMac.data()), host_mac_);
  frame /= Tins::RawPDU(inner);
  frame.payload_type(ethertype::kIpv4);
  EXPECT_CALL(device_, read).WillOnce(ReadPacket(test::serialize(frame))).WillOnce(ReadNothing());
  test::Bytes sent;
  EXPECT_CALL(underlay_, send).WillOnce(Invoke([&](const OuterHeader&, Packet&& p) {
    sent = p.to_vector();
    return IoResult{};
  }));
  engine_.poll_device(0);
  EXPECT_TRUE(test::bytes_equal(inner, sent));

  const test::Bytes back = test::make_udp_bytes(90, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")});
  EXPECT_CALL(underlay_, receive).WillOnce(ReceivePacket(test::wrap_outer(back))).WillOnce(ReceiveNothing());
  test::Bytes written;
  EXPECT_CALL(device_, write).WillOnce(Invoke([&](ByteView bytes) {
    written.assign(bytes.begin(), bytes.end());
    return IoResult{IoStatus::ok, bytes.size()};
  }));
  engine_.poll_underlay(0);
  ASSERT_EQ(written.size(), back.size() + 14);
  Tins::EthernetII out(written.data(), static_cast<std::uint32_t>(written.size()));
  EXPECT_EQ(out.dst_addr(), host_mac_);  // learned from the host's frame
  EXPECT_EQ(out.payload_type(), ethertype::kIpv4);
  EXPECT_TRUE(test::bytes_equal(back, test::Bytes(written.begin() + 14, written.end())));
}

}  // namespace
}  // namespace tunlab
