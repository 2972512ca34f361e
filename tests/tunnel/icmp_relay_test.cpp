// ICMP errors about the tunnel's outer packets (RFC 2003 §4-5, RFC 1191; docs/rfc2003-ipip.md,
// "ICMP errors about the tunnel", and docs/pmtu.md): what relay_icmp_error learns and what it
// sends back to the inner source.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tins/icmp.h>
#include <tins/ip.h>
#include <tins/rawpdu.h>

#include "ipip_fixture.hpp"
#include "tunlab/wire/icmp.hpp"

namespace tunlab {
namespace {

using test::Bytes;
using test::bytes_equal;
using test::kInnerSrc;
using test::kLocal;
using test::kRemote;
using test::kTunnelAddress;
using Kind = TunnelAction::Kind;

const Ipv4Address kRouter("18.12.0.1");
constexpr std::int64_t kNow = 1'000'000;

class RelayIcmpError : public test::IpipFixture {
protected:
  RelayIcmpError() {
    inner_ = test::make_udp_bytes(1480, {.src = kInnerSrc, .df = true});
    outer_ = test::wrap_outer(inner_, {.src = kLocal, .dst = kRemote, .df = true});
    // The quoted outer packet (ID 1) is the last one this tunnel sent: a 3/4 about it is plausible.
    state_.next_outer_id = 2;
    state_.outer_ids_used = 1;
  }
  // The first `n` bytes of our outer packet, as a router would quote them.
  ByteView quote(std::size_t n) const { return ByteView(outer_).first(n); }
  RelayOutcome relay(std::uint8_t type, std::uint8_t code, std::uint16_t mtu, ByteView quoted) {
    actions_.clear();
    return relay_icmp_error(config_, state_, {kRouter, type, code, mtu}, quoted, kNow, actions_);
  }
  // The ICMP error we expect at the inner source, written by libtins.
  Bytes expected_error(std::uint8_t type, std::uint8_t code, std::uint16_t mtu, ByteView inner_quote) const {
    Tins::IP ip(test::tins_address(kInnerSrc), test::tins_address(kTunnelAddress));
    ip.ttl(64);
    ip.id(0);
    Tins::ICMP icmp(static_cast<Tins::ICMP::Flags>(type));
    icmp.code(code);
    if (type == icmp::kDestUnreachable && code == icmp::kFragNeeded) {
      icmp.mtu(mtu);
    }
    ip /= icmp / Tins::RawPDU(inner_quote.begin(), inner_quote.end());
    Bytes bytes = test::serialize(ip);
    // libtins 4.0 fills in the RFC 4884 length field (byte 5) for long quotes; without extensions
    // the RFC 792 form, which Linux sends, leaves it 0. Undo it and fix the ICMP checksum.
    bytes[25] = 0;
    bytes[22] = 0;
    bytes[23] = 0;
    const std::uint16_t sum = test::reference_checksum(std::span(bytes).subspan(20));
    bytes[22] = static_cast<std::uint8_t>(sum >> 8);
    bytes[23] = static_cast<std::uint8_t>(sum);
    return bytes;
  }
  void expect_relayed(std::uint8_t type, std::uint8_t code, std::uint16_t mtu, ByteView inner_quote) {
    ASSERT_EQ(actions_.size(), 1u);
    ASSERT_EQ(actions_[0].kind, Kind::write_device);
    const ByteView got = actions_[0].packet.bytes();
    EXPECT_TRUE(bytes_equal(expected_error(type, code, mtu, inner_quote), got));
    EXPECT_TRUE(test::checksums_ok(got));
  }

  Bytes inner_;
  Bytes outer_;
};

constexpr std::size_t kOuterPlusInnerHeaderPlus8 = 20 + 20 + 8;

TEST_F(RelayIcmpError, FragNeededLearnsMtuAndRelaysPathMtuMinus20) {
  EXPECT_EQ(relay(3, 4, 1400, quote(kOuterPlusInnerHeaderPlus8)), RelayOutcome::relayed);
  EXPECT_EQ(state_.path_mtu, 1400u);
  EXPECT_EQ(state_.path_mtu_learned_at_ns, kNow);
  EXPECT_EQ(tunnel_mtu(config_, state_, kNow), 1380u);
  expect_relayed(3, 4, 1380, ByteView(inner_).first(28));
}

TEST_F(RelayIcmpError, FragNeededWithLongQuoteQuotesWhatFitsIn576) {
  EXPECT_EQ(relay(3, 4, 1400, quote(outer_.size())), RelayOutcome::relayed);
  expect_relayed(3, 4, 1380, ByteView(inner_).first(548));
}

TEST_F(RelayIcmpError, QuoteOfOuterHeaderPlus8BytesUpdatesStateWithoutRelaying) {
  EXPECT_EQ(relay(3, 4, 1400, quote(28)), RelayOutcome::mtu_learned);
  EXPECT_TRUE(actions_.empty());
  EXPECT_EQ(state_.path_mtu, 1400u);
  EXPECT_EQ(tunnel_mtu(config_, state_, kNow), 1380u);
}

TEST_F(RelayIcmpError, QuoteOneByteShortOfInnerHeaderPlus8IsNotRelayed) {
  EXPECT_EQ(relay(3, 4, 1400, quote(kOuterPlusInnerHeaderPlus8 - 1)), RelayOutcome::mtu_learned);
  EXPECT_EQ(relay(3, 1, 0, quote(kOuterPlusInnerHeaderPlus8 - 1)), RelayOutcome::not_relayed);
  EXPECT_TRUE(actions_.empty());
}

TEST_F(RelayIcmpError, FragNeededWithoutMtuUsesRfc1191Plateau) {
  // The quoted outer packet is 1500 bytes long: the next plateau down is 1492.
  EXPECT_EQ(relay(3, 4, 0, quote(kOuterPlusInnerHeaderPlus8)), RelayOutcome::relayed);
  EXPECT_EQ(state_.path_mtu, 1492u);
  expect_relayed(3, 4, 1472, ByteView(inner_).first(28));
}

TEST_F(RelayIcmpError, TinyMtuIsClampedToMinPmtu552) {
  // Linux's net.ipv4.route.min_pmtu: a forged "MTU 40" leaves a 532-byte tunnel MTU, not 68.
  EXPECT_EQ(relay(3, 4, 40, quote(kOuterPlusInnerHeaderPlus8)), RelayOutcome::relayed);
  EXPECT_EQ(state_.path_mtu, 552u);
  EXPECT_EQ(tunnel_mtu(config_, state_, kNow), 532u);
  expect_relayed(3, 4, 532, ByteView(inner_).first(28));
}

TEST_F(RelayIcmpError, TinyMtuWithTheFloorLoweredStillKeepsTheTunnelMtuAt68) {
  config_.min_pmtu = 0;
  EXPECT_EQ(relay(3, 4, 40, quote(kOuterPlusInnerHeaderPlus8)), RelayOutcome::relayed);
  EXPECT_EQ(state_.path_mtu, 88u);
  EXPECT_EQ(tunnel_mtu(config_, state_, kNow), 68u);
  expect_relayed(3, 4, 68, ByteView(inner_).first(28));
}

TEST_F(RelayIcmpError, FragNeededNeverRaisesTheEstimate) {
  relay(3, 4, 1400, quote(28));
  EXPECT_EQ(relay(3, 4, 1450, quote(28)), RelayOutcome::mtu_learned);
  EXPECT_EQ(state_.path_mtu, 1400u);
  state_ = {};
  relay(3, 4, 9000, quote(28));
  EXPECT_EQ(tunnel_mtu(config_, state_, kNow), 1480u);
}

TEST_F(RelayIcmpError, UnreachableNetAndHostRelayedAsIs) {
  for (const std::uint8_t code : std::initializer_list<std::uint8_t>{0, 1}) {
    EXPECT_EQ(relay(3, code, 0, quote(kOuterPlusInnerHeaderPlus8)), RelayOutcome::relayed);
    expect_relayed(3, code, 0, ByteView(inner_).first(28));
  }
  EXPECT_EQ(state_.path_mtu, 0u);
}

TEST_F(RelayIcmpError, ProtocolUnreachableRelayedAsHostUnreachable) {
  EXPECT_EQ(relay(3, 2, 0, quote(kOuterPlusInnerHeaderPlus8)), RelayOutcome::relayed);
  expect_relayed(3, 1, 0, ByteView(inner_).first(28));
}

TEST_F(RelayIcmpError, TimeExceededRelayedAsHostUnreachable) {
  for (const std::uint8_t code : std::initializer_list<std::uint8_t>{0, 1}) {
    EXPECT_EQ(relay(11, code, 0, quote(kOuterPlusInnerHeaderPlus8)), RelayOutcome::relayed);
    expect_relayed(3, 1, 0, ByteView(inner_).first(28));
  }
}

struct TypeCode {
  std::uint8_t type;
  std::uint8_t code;
};

class RelayIcmpErrorNot : public RelayIcmpError, public ::testing::WithParamInterface<TypeCode> {};

TEST_P(RelayIcmpErrorNot, NotRelayedAndStateUnchanged) {
  EXPECT_EQ(relay(GetParam().type, GetParam().code, 1000, quote(outer_.size())), RelayOutcome::not_relayed);
  EXPECT_TRUE(actions_.empty());
  EXPECT_EQ(state_.path_mtu, 0u);
}

// 3/3 port, 3/5 source route, 3/13 administratively prohibited, redirects, source quench and
// parameter problem.
INSTANTIATE_TEST_SUITE_P(Rfc2003Section4, RelayIcmpErrorNot,
                         ::testing::Values(TypeCode{3, 3}, TypeCode{3, 5}, TypeCode{3, 13}, TypeCode{5, 0},
                                           TypeCode{5, 1}, TypeCode{4, 0}, TypeCode{12, 0}, TypeCode{12, 1}));

TEST_F(RelayIcmpError, QuoteOfAnotherTunnelIsForeign) {
  const Bytes other_src = test::wrap_outer(inner_, {.src = Ipv4Address("18.12.0.93"), .dst = kRemote});
  EXPECT_EQ(relay(3, 4, 1000, other_src), RelayOutcome::foreign_quote);
  const Bytes other_dst = test::wrap_outer(inner_, {.src = kLocal, .dst = Ipv4Address("18.13.0.90")});
  EXPECT_EQ(relay(3, 4, 1000, other_dst), RelayOutcome::foreign_quote);
  const Bytes other_protocol = test::wrap_outer(inner_, {.src = kLocal, .dst = kRemote, .protocol = 17});
  EXPECT_EQ(relay(3, 4, 1000, other_protocol), RelayOutcome::foreign_quote);
  // The reversed direction: a packet the peer sent us, not one of ours.
  const Bytes reversed = test::wrap_outer(inner_, {.src = kRemote, .dst = kLocal});
  EXPECT_EQ(relay(3, 1, 0, reversed), RelayOutcome::foreign_quote);
  EXPECT_TRUE(actions_.empty());
  EXPECT_EQ(state_.path_mtu, 0u);
}

TEST_F(RelayIcmpError, QuoteShorterThanAnIpHeaderIsMalformed) {
  EXPECT_EQ(relay(3, 4, 1000, quote(19)), RelayOutcome::malformed);
  EXPECT_EQ(relay(3, 4, 1000, {}), RelayOutcome::malformed);
  Bytes bad_version(outer_.begin(), outer_.begin() + 48);
  bad_version[0] = 0x65;
  EXPECT_EQ(relay(3, 4, 1000, bad_version), RelayOutcome::malformed);
  EXPECT_EQ(state_.path_mtu, 0u);
  EXPECT_TRUE(actions_.empty());
}

TEST_F(RelayIcmpError, NeverRelaysAboutAnInnerIcmpError) {
  Tins::IP inner_ip(test::tins_address(Ipv4Address("10.0.0.22")), test::tins_address(kInnerSrc));
  Tins::ICMP icmp(Tins::ICMP::DEST_UNREACHABLE);
  const Bytes payload = test::pattern_bytes(28);
  inner_ip /= icmp / Tins::RawPDU(payload.begin(), payload.end());
  outer_ = test::wrap_outer(test::serialize(inner_ip), {.src = kLocal, .dst = kRemote});
  EXPECT_EQ(relay(3, 1, 0, quote(outer_.size())), RelayOutcome::not_relayed);
  EXPECT_EQ(relay(3, 4, 1400, quote(outer_.size())), RelayOutcome::mtu_learned);
  EXPECT_TRUE(actions_.empty());
}

TEST_F(RelayIcmpError, OuterWithOptionsIsSkippedByItsIhl) {
  // Our outer header with 4 bytes of options (IHL 6): the inner packet starts at byte 24.
  Bytes with_options(outer_.begin(), outer_.begin() + 20);
  with_options.insert(with_options.end(), {148, 4, 0, 0});
  with_options.insert(with_options.end(), inner_.begin(), inner_.begin() + 28);
  with_options[0] = 0x46;
  EXPECT_EQ(relay(3, 1, 0, with_options), RelayOutcome::relayed);
  expect_relayed(3, 1, 0, ByteView(inner_).first(28));
}

TEST(RelayOutcomeNames, AreStable) {
  EXPECT_EQ(to_string(RelayOutcome::relayed), "relayed");
  EXPECT_EQ(to_string(RelayOutcome::mtu_learned), "mtu-learned");
  EXPECT_EQ(to_string(RelayOutcome::not_relayed), "not-relayed");
  EXPECT_EQ(to_string(RelayOutcome::foreign_quote), "foreign-quote");
  EXPECT_EQ(to_string(RelayOutcome::malformed), "malformed");
}

}  // namespace
}  // namespace tunlab
