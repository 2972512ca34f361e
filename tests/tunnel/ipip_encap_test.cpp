// Encapsulation (RFC 2003 §3, RFC 6040 §4.1, docs/rfc2003-ipip.md, encapsulation 1-12): the actions
// encapsulate() appends for one packet read from tun0, checked field by field and byte by byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tins/icmp.h>
#include <tins/ip.h>
#include <tins/ipv6.h>
#include <tins/rawpdu.h>

#include "ipip_fixture.hpp"

namespace tunlab {
namespace {

using test::Bytes;
using test::bytes_equal;
using test::default_config;
using test::kInnerSrc;
using test::kLocal;
using test::kRemote;
using test::kTunnelAddress;
using Kind = TunnelAction::Kind;

class Encapsulate : public test::IpipFixture {
protected:
  // Encapsulates `bytes` tagged with origin 7 and returns the actions.
  const TunnelActions& run(const Bytes& bytes, std::int64_t now_ns = 0) { return encapsulate_bytes(bytes, 7, now_ns); }
  // The single send_outer action of `bytes`, with its inner bytes checked unchanged.
  OuterHeader sent(const Bytes& bytes) {
    const TunnelActions& actions = run(bytes);
    EXPECT_EQ(actions.size(), 1u);
    if (actions.size() != 1 || actions[0].kind != Kind::send_outer) {
      ADD_FAILURE() << "expected one send_outer";
      return {};
    }
    EXPECT_TRUE(bytes_equal(bytes, actions[0].packet.bytes()));
    EXPECT_EQ(actions[0].packet.origin, 7u);
    return actions[0].outer;
  }
  void expect_drop(const Bytes& bytes, DropReason reason) {
    const TunnelActions& actions = run(bytes);
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].kind, Kind::drop);
    EXPECT_EQ(actions[0].reason, reason) << to_string(actions[0].reason);
    EXPECT_EQ(actions[0].packet.origin, 7u);
  }
};

TEST_F(Encapsulate, OuterFieldsForPlain84BytePacket) {
  const Bytes inner = test::make_udp_bytes(84, {.tos = 0x00, .ttl = 64, .id = 0x1234});
  const OuterHeader outer = sent(inner);
  EXPECT_EQ(outer.src, kLocal);
  EXPECT_EQ(outer.dst, kRemote);
  EXPECT_EQ(outer.ttl, 64);
  EXPECT_EQ(outer.tos, 0);
  EXPECT_EQ(outer.id, 1);
  EXPECT_FALSE(outer.df);
  EXPECT_EQ(actions_[0].packet.size() + kOuterHeaderLength, 104u);
  EXPECT_EQ(state_.next_outer_id, 2);
}

TEST_F(Encapsulate, MovesThePacketInsteadOfCopyingIt) {
  Packet packet(test::make_udp_bytes(84));
  const std::uint8_t* before = packet.data();
  encapsulate(config_, state_, std::move(packet), 0, actions_);
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].packet.data(), before);
}

TEST_F(Encapsulate, InnerDfForcesOuterDf) {
  EXPECT_TRUE(sent(test::make_udp_bytes(84, {.df = true})).df);
  EXPECT_FALSE(sent(test::make_udp_bytes(84, {.df = false})).df);
}

TEST_F(Encapsulate, PmtudiscSetsOuterDfForAnyInner) {
  config_.pmtudisc = true;
  EXPECT_TRUE(sent(test::make_udp_bytes(84, {.df = false})).df);
}

TEST_F(Encapsulate, FixedTtlIgnoresInnerTtl) {
  config_.ttl = 200;
  EXPECT_EQ(sent(test::make_udp_bytes(84, {.ttl = 9})).ttl, 200);
}

TEST_F(Encapsulate, InheritTtlCopiesInnerTtl) {
  config_.ttl_mode = TtlMode::inherit;
  EXPECT_EQ(sent(test::make_udp_bytes(84, {.ttl = 9})).ttl, 9);
}

TEST_F(Encapsulate, FixedTtlZeroMeansInheritAsOnLinux) {
  config_.ttl = 0;
  EXPECT_EQ(sent(test::make_udp_bytes(84, {.ttl = 13})).ttl, 13);
}

TEST_F(Encapsulate, CopyTosCopiesWholeByte) {
  EXPECT_EQ(sent(test::make_udp_bytes(84, {.tos = 0xba})).tos, 0xba);
}

TEST_F(Encapsulate, FixedTosTakesDscpFromConfigAndEcnFromInner) {
  config_.tos_mode = TosMode::fixed;
  config_.tos = 0x28;
  EXPECT_EQ(sent(test::make_udp_bytes(84, {.tos = 0xba})).tos, 0x2a);
  // The configured ECN bits are ignored: ECN always follows the mode (RFC 6040 §4.1).
  config_.tos = 0x2b;
  EXPECT_EQ(sent(test::make_udp_bytes(84, {.tos = 0xb8})).tos, 0x28);
}

struct EcnCase {
  std::uint8_t inner_ecn;
  std::uint8_t normal_outer_ecn;
};

class EncapsulateEcn : public Encapsulate, public ::testing::WithParamInterface<EcnCase> {};

TEST_P(EncapsulateEcn, NormalModeCopiesEcnCompatModeClearsIt) {
  const std::uint8_t dscp = 0x2e << 2;
  const Bytes inner = test::make_udp_bytes(84, {.tos = static_cast<std::uint8_t>(dscp | GetParam().inner_ecn)});
  EXPECT_EQ(sent(inner).tos, dscp | GetParam().normal_outer_ecn);
  config_.ecn_mode = EcnMode::compat;
  EXPECT_EQ(sent(inner).tos, dscp | ecn::kNotEct);
  config_.tos_mode = TosMode::fixed;
  config_.tos = 0x20;
  EXPECT_EQ(sent(inner).tos, 0x20);
}

INSTANTIATE_TEST_SUITE_P(FourCodepoints, EncapsulateEcn,
                         ::testing::Values(EcnCase{ecn::kNotEct, ecn::kNotEct}, EcnCase{ecn::kEct1, ecn::kEct1},
                                           EcnCase{ecn::kEct0, ecn::kEct0}, EcnCase{ecn::kCe, ecn::kCe}));

TEST_F(Encapsulate, EverySizeUpToTheTunnelMtuGoesOutWhole) {
  ASSERT_EQ(tunnel_mtu(config_, state_, 0), 1480u);
  for (std::size_t size = 20; size <= 1480; ++size) {
    const Bytes inner = test::make_raw_ip_bytes(size, {.df = true, .payload_seed = static_cast<std::uint32_t>(size)});
    const TunnelActions& actions = run(inner);
    ASSERT_EQ(actions.size(), 1u) << size;
    ASSERT_EQ(actions[0].kind, Kind::send_outer) << size;
    ASSERT_EQ(actions[0].packet.size() + kOuterHeaderLength, size + 20) << size;
    ASSERT_TRUE(bytes_equal(inner, actions[0].packet.bytes())) << size;
  }
  EXPECT_EQ(state_.next_outer_id, 1 + 1461);
}

TEST_F(Encapsulate, EqualInnerIdsGetFreshOuterIds) {
  const Bytes inner = test::make_udp_bytes(84, {.id = 0x4444});
  EXPECT_EQ(sent(inner).id, 1);
  EXPECT_EQ(sent(inner).id, 2);
  EXPECT_EQ(sent(inner).id, 3);
}

TEST_F(Encapsulate, OuterIdWrapsAround) {
  state_.next_outer_id = 0xffff;
  const Bytes inner = test::make_udp_bytes(84, {.id = 0xffff});
  EXPECT_EQ(sent(inner).id, 0xffff);
  EXPECT_EQ(sent(inner).id, 0);
  EXPECT_EQ(sent(inner).id, 1);
}

TEST_F(Encapsulate, TrailingBytesPastTotalLengthAreNotTunnelled) {
  const Bytes exact = test::make_udp_bytes(84);
  Bytes padded = exact;
  padded.insert(padded.end(), {0, 0, 0, 0, 0, 0});
  const TunnelActions& actions = run(padded);
  ASSERT_EQ(actions.size(), 1u);
  ASSERT_EQ(actions[0].kind, Kind::send_outer);
  EXPECT_TRUE(bytes_equal(exact, actions[0].packet.bytes()));
}

TEST_F(Encapsulate, OversizeWithDfGetsFragNeededWithTunnelMtu) {
  const Bytes inner = test::make_udp_bytes(1481, {.df = true});
  const TunnelActions& actions = run(inner);
  ASSERT_EQ(actions.size(), 2u);
  ASSERT_EQ(actions[0].kind, Kind::write_device);
  ASSERT_EQ(actions[1].kind, Kind::drop);
  EXPECT_EQ(actions[1].reason, DropReason::encap_too_big_df);
  EXPECT_EQ(actions[1].packet.origin, 7u);
  EXPECT_TRUE(bytes_equal(inner, actions[1].packet.bytes()));

  const Packet& error = actions[0].packet;
  EXPECT_EQ(error.origin, 7u);
  EXPECT_TRUE(test::checksums_ok(error.bytes()));
  const Tins::IP ip(error.data(), static_cast<std::uint32_t>(error.size()));
  EXPECT_EQ(ip.src_addr(), kTunnelAddress);
  EXPECT_EQ(ip.dst_addr(), kInnerSrc);
  EXPECT_EQ(ip.tot_len(), 576);
  const auto& icmp = ip.rfind_pdu<Tins::ICMP>();
  EXPECT_EQ(icmp.type(), Tins::ICMP::DEST_UNREACHABLE);
  EXPECT_EQ(icmp.code(), 4);
  EXPECT_EQ(icmp.mtu(), 1480);
  // The quote: the inner header and as much of the rest as fits in 576 bytes.
  EXPECT_TRUE(bytes_equal(ByteView(inner).first(548), error.bytes().subspan(28)));
  EXPECT_EQ(state_.next_outer_id, 1);  // nothing was sent
}

TEST_F(Encapsulate, OversizeIcmpErrorWithDfIsDroppedWithoutAnswer) {
  // Never an ICMP error about an ICMP error (RFC 1122 §3.2.2).
  Tins::IP ip(test::tins_address(Ipv4Address("10.0.0.22")), test::tins_address(kInnerSrc));
  ip.flags(Tins::IP::DONT_FRAGMENT);
  Tins::ICMP icmp(Tins::ICMP::TIME_EXCEEDED);
  const Bytes quote = test::pattern_bytes(1500);
  ip /= icmp / Tins::RawPDU(quote.begin(), quote.end());
  expect_drop(test::serialize(ip), DropReason::encap_too_big_df);
}

TEST_F(Encapsulate, MtuLoweredByReceivedFragNeeded) {
  // A router between the endpoints reports MTU 1400 for one of our outer packets.
  const Bytes outer = test::wrap_outer(test::make_udp_bytes(1480), {.src = kLocal, .dst = kRemote});
  const UnderlayError error{Ipv4Address("18.12.0.1"), 3, 4, 1400};
  state_.next_outer_id = 2;  // ID 1, the quoted one, was the last sent: the 3/4 is plausible
  state_.outer_ids_used = 1;
  TunnelActions ignored;
  relay_icmp_error(config_, state_, error, ByteView(outer).first(28), 1000, ignored);
  EXPECT_EQ(tunnel_mtu(config_, state_, 1000), 1380u);

  EXPECT_EQ(run(test::make_udp_bytes(1380, {.df = true}), 2000)[0].kind, Kind::send_outer);
  const TunnelActions& actions = run(test::make_udp_bytes(1381, {.df = true}), 2000);
  ASSERT_EQ(actions.size(), 2u);
  ASSERT_EQ(actions[0].kind, Kind::write_device);
  const Tins::IP ip(actions[0].packet.data(), static_cast<std::uint32_t>(actions[0].packet.size()));
  EXPECT_EQ(ip.rfind_pdu<Tins::ICMP>().mtu(), 1380);
}

TEST_F(Encapsulate, LearnedMtuExpires) {
  state_.path_mtu = 1000;
  state_.path_mtu_learned_at_ns = 5'000;
  config_.pmtu_expiry_ns = 10'000;
  EXPECT_EQ(tunnel_mtu(config_, state_, 5'000), 980u);
  EXPECT_EQ(tunnel_mtu(config_, state_, 14'999), 980u);
  EXPECT_EQ(tunnel_mtu(config_, state_, 15'000), 1480u);
}

TEST_F(Encapsulate, TunnelMtuNeverBelow68) {
  config_.underlay_mtu = 80;
  EXPECT_EQ(tunnel_mtu(config_, state_, 0), 68u);
  config_.underlay_mtu = 88;
  EXPECT_EQ(tunnel_mtu(config_, state_, 0), 68u);
  config_.underlay_mtu = 89;
  EXPECT_EQ(tunnel_mtu(config_, state_, 0), 69u);
}

TEST_F(Encapsulate, OversizeWithoutDfIsFragmentedBeforeEncapsulation) {
  const Bytes inner = test::make_udp_bytes(3000, {.id = 0x2222, .df = false});
  const TunnelActions& actions = run(inner);
  ASSERT_EQ(actions.size(), 3u);  // 1460 + 1460 + 60 data bytes behind 20-byte headers
  std::vector<Packet> fragments;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(actions[i].kind, Kind::send_outer);
    EXPECT_LE(actions[i].packet.size(), 1480u);
    EXPECT_EQ(actions[i].packet.origin, 7u);
    EXPECT_EQ(actions[i].outer.id, i + 1);  // one outer ID per outer packet
    EXPECT_EQ(actions[i].outer.src, kLocal);
    EXPECT_EQ(actions[i].outer.dst, kRemote);
    EXPECT_FALSE(actions[i].outer.df);
    EXPECT_EQ(test::reference_checksum(actions[i].packet.bytes().first(20)), 0);
    fragments.push_back(actions[i].packet);
  }
  const auto whole = test::reassemble(fragments);
  ASSERT_TRUE(whole.has_value());
  EXPECT_TRUE(bytes_equal(inner, *whole));
}

TEST_F(Encapsulate, InnerSourceIsLocalEndpointIsDropped) {
  expect_drop(test::make_udp_bytes(84, {.src = kLocal}), DropReason::encap_inner_source_is_endpoint);
}

TEST_F(Encapsulate, InnerSourceIsRemoteEndpointIsDropped) {
  expect_drop(test::make_udp_bytes(84, {.src = kRemote}), DropReason::encap_inner_source_is_endpoint);
}

TEST_F(Encapsulate, Ipv6InnerIsNotIpv4) {
  Tins::IPv6 ip6(Tins::IPv6Address("2001:db8::2"), Tins::IPv6Address("2001:db8::1"));
  const Bytes payload = test::pattern_bytes(16);
  ip6 /= Tins::RawPDU(payload.begin(), payload.end());
  expect_drop(test::serialize(ip6), DropReason::encap_not_ipv4);
}

TEST_F(Encapsulate, OtherVersionIsNotIpv4) {
  Bytes bytes = test::make_udp_bytes(84);
  bytes[0] = 0x55;
  expect_drop(bytes, DropReason::encap_not_ipv4);
}

TEST_F(Encapsulate, MalformedInnerIsDropped) {
  const Bytes good = test::make_udp_bytes(84);
  expect_drop(Bytes(good.begin(), good.begin() + 19), DropReason::encap_malformed_inner);
  expect_drop(Bytes{}, DropReason::encap_malformed_inner);
  Bytes bad_ihl = good;
  bad_ihl[0] = 0x44;
  expect_drop(bad_ihl, DropReason::encap_malformed_inner);
  Bytes too_long = good;
  too_long[3] = 85;  // total length one past the bytes present
  expect_drop(too_long, DropReason::encap_malformed_inner);
  Bytes shorter_than_header = good;
  shorter_than_header[2] = 0;
  shorter_than_header[3] = 19;
  expect_drop(shorter_than_header, DropReason::encap_malformed_inner);
}

TEST_F(Encapsulate, InnerTtlZeroIsDropped) {
  expect_drop(test::make_udp_bytes(84, {.ttl = 0}), DropReason::encap_inner_ttl_zero);
}

TEST_F(Encapsulate, SteadyStateAppendsWithoutGrowingTheActions) {
  actions_.reserve(4);
  const std::size_t capacity = actions_.capacity();
  const TunnelAction* storage = actions_.data();
  for (int i = 0; i < 100; ++i) {
    run(test::make_udp_bytes(84));
  }
  EXPECT_EQ(actions_.capacity(), capacity);
  EXPECT_EQ(actions_.data(), storage);
}

}  // namespace
}  // namespace tunlab

namespace tunlab {
namespace {

// --- super-packet mode (opt-in; TunnelConfig::super_packets) ---------------------------------

TEST(EncapsulateSuperPacket, SendsTheWholePacketWithOuterDfClearAndFragmentsAtThePathMtu) {
  TunnelConfig config = default_config();
  config.super_packets = true;
  config.underlay_mtu = 1440;
  TunnelState state;
  test::IpSpec spec;
  spec.df = true;
  spec.tos = 0x2a;  // DSCP 10, ECT(0): copied with ECN, as encapsulate() does
  const Bytes inner = test::make_raw_ip_bytes(30000, spec);
  TunnelActions actions;
  encapsulate_super_packet(config, state, Packet(inner), 0, actions);
  ASSERT_EQ(1u, actions.size());
  ASSERT_EQ(TunnelAction::Kind::send_outer, actions[0].kind);
  EXPECT_TRUE(bytes_equal(inner, actions[0].packet.bytes()));
  const OuterHeader& outer = actions[0].outer;
  EXPECT_FALSE(outer.df) << "the trade of this mode: the outer datagram is fragmented";
  EXPECT_EQ(1440u, outer.fragment_size);
  EXPECT_EQ(0x2a, outer.tos);
  EXPECT_EQ(64, outer.ttl);
  EXPECT_EQ(1, outer.id);
  EXPECT_EQ(kRemote, outer.dst);
}

TEST(EncapsulateSuperPacket, AppliesTheInnerChecksOfEveryPacket) {
  TunnelConfig config = default_config();
  config.super_packets = true;
  TunnelState state;
  test::IpSpec spec;
  spec.src = kLocal;  // a loop: the inner source is our own endpoint
  TunnelActions actions;
  encapsulate_super_packet(config, state, Packet(test::make_raw_ip_bytes(3000, spec)), 0, actions);
  ASSERT_EQ(1u, actions.size());
  EXPECT_EQ(TunnelAction::Kind::drop, actions[0].kind);
  EXPECT_EQ(DropReason::encap_inner_source_is_endpoint, actions[0].reason);
}

TEST(EncapsulateRfc2003, LeavesFragmentSizeZeroOnEveryPacket) {
  TunnelConfig config = default_config();
  TunnelState state;
  TunnelActions actions;
  encapsulate(config, state, Packet(test::make_udp_bytes(1000)), 0, actions);
  ASSERT_EQ(1u, actions.size());
  EXPECT_EQ(0u, actions[0].outer.fragment_size);
}

}  // namespace
}  // namespace tunlab
