// Decapsulation (RFC 2003 §3-4, RFC 6040 §4.2, RFC 6169, docs/rfc2003-ipip.md,
// "Decapsulation" and "Security"): what decapsulate() does with one packet from the raw IPIP socket.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tins/ip.h>
#include <tins/rawpdu.h>

#include "ipip_fixture.hpp"

namespace tunlab {
namespace {

using test::Bytes;
using test::bytes_equal;
using Kind = TunnelAction::Kind;

const test::IpSpec kInner{.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")};

// 18.13.0.91 -> 18.12.0.92 IPIP, outer TOS CE, TTL 62, DF; inner 10.0.0.22:5001 -> 10.0.0.12:40000
// UDP "ping", inner TOS ECT(0), TTL 63, DF. Checksums computed by hand (RFC 1071).
constexpr std::uint8_t kCeOverEct0[] = {
    0x45, 0x03, 0x00, 0x34, 0x00, 0x33, 0x40, 0x00, 0x3e, 0x04, 0x17, 0xc1,  // outer
    0x12, 0x0d, 0x00, 0x5b, 0x12, 0x0c, 0x00, 0x5c,                          //
    0x45, 0x02, 0x00, 0x20, 0x01, 0x01, 0x40, 0x00, 0x3f, 0x11, 0x26, 0xa9,  // inner
    0x0a, 0x00, 0x00, 0x16, 0x0a, 0x00, 0x00, 0x0c,                          //
    0x13, 0x89, 0x9c, 0x40, 0x00, 0x0c, 0x5d, 0x1a, 0x70, 0x69, 0x6e, 0x67,  // UDP
};
// The inner packet written to tun0: TOS CE, header checksum 0x26a8; nothing else changes.
constexpr std::uint8_t kCeInner[] = {
    0x45, 0x03, 0x00, 0x20, 0x01, 0x01, 0x40, 0x00, 0x3f, 0x11, 0x26, 0xa8, 0x0a, 0x00, 0x00, 0x16,
    0x0a, 0x00, 0x00, 0x0c, 0x13, 0x89, 0x9c, 0x40, 0x00, 0x0c, 0x5d, 0x1a, 0x70, 0x69, 0x6e, 0x67,
};

void fix_header_checksum(Bytes& bytes, std::size_t at) {
  const std::size_t ihl = static_cast<std::size_t>(bytes[at] & 0x0f) * 4;
  bytes[at + 10] = 0;
  bytes[at + 11] = 0;
  const std::uint16_t sum = test::reference_checksum(std::span(bytes).subspan(at, ihl));
  bytes[at + 10] = static_cast<std::uint8_t>(sum >> 8);
  bytes[at + 11] = static_cast<std::uint8_t>(sum);
}

// `header` + options, with IHL, total length and checksum fixed up.
Bytes with_options(const Bytes& packet, std::initializer_list<std::uint8_t> options) {
  Bytes out(packet.begin(), packet.begin() + 20);
  out.insert(out.end(), options);
  out.insert(out.end(), packet.begin() + 20, packet.end());
  out[0] = static_cast<std::uint8_t>(0x40 | (20 + options.size()) / 4);
  out[2] = static_cast<std::uint8_t>(out.size() >> 8);
  out[3] = static_cast<std::uint8_t>(out.size());
  fix_header_checksum(out, 0);
  return out;
}

class Decapsulate : public test::IpipFixture {
protected:
  const TunnelActions& run(const Bytes& outer) { return decapsulate_bytes(outer, 11); }
  // Runs `outer` and expects the inner packet on tun0; returns its bytes.
  Bytes delivered(const Bytes& outer) {
    const TunnelActions& actions = run(outer);
    EXPECT_EQ(actions.size(), 1u);
    if (actions.size() != 1 || actions[0].kind != Kind::write_device) {
      ADD_FAILURE() << "not delivered"
                    << (actions.empty() ? std::string()
                                        : std::string(": ") + std::string(to_string(actions[0].reason)));
      return {};
    }
    EXPECT_EQ(actions[0].packet.origin, 11u);
    return actions[0].packet.to_vector();
  }
  void expect_drop(const Bytes& outer, DropReason reason) {
    const TunnelActions& actions = run(outer);
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].kind, Kind::drop);
    EXPECT_EQ(actions[0].reason, reason) << "got " << to_string(actions[0].reason);
    EXPECT_EQ(actions[0].packet.origin, 11u);
  }
  // The inner packet `inner` (already bytes) behind a valid outer header from the peer.
  void expect_inner_drop(const Bytes& inner, DropReason reason) { expect_drop(test::wrap_outer(inner), reason); }
};

TEST_F(Decapsulate, ValidPacketGivesByteIdenticalInner) {
  const Bytes inner = test::make_udp_bytes(100, kInner);
  EXPECT_TRUE(bytes_equal(inner, delivered(test::wrap_outer(inner))));
}

TEST_F(Decapsulate, StripsInPlaceWithoutCopying) {
  Packet packet(test::wrap_outer(test::make_udp_bytes(100, kInner)));
  const std::uint8_t* inner_start = packet.data() + 20;
  decapsulate(config_, std::move(packet), actions_);
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].packet.data(), inner_start);
}

TEST_F(Decapsulate, StaticFixtureCeOverEct0MarksInnerCe) {
  const Bytes outer(std::begin(kCeOverEct0), std::end(kCeOverEct0));
  EXPECT_TRUE(bytes_equal(kCeInner, delivered(outer)));
}

TEST_F(Decapsulate, EveryInnerSizeIsDeliveredWhole) {
  for (std::size_t size = 20; size <= 1480; size += 13) {
    const Bytes inner = test::make_raw_ip_bytes(size, {.src = kInner.src, .dst = kInner.dst});
    ASSERT_TRUE(bytes_equal(inner, delivered(test::wrap_outer(inner)))) << size;
  }
}

TEST_F(Decapsulate, WrongOuterSourceIsUnknownPeer) {
  const Bytes outer = test::wrap_outer(test::make_udp_bytes(100, kInner), {.src = Ipv4Address("18.13.0.66")});
  expect_drop(outer, DropReason::decap_unknown_peer);
}

TEST_F(Decapsulate, WrongOuterDestinationIsDropped) {
  const Bytes outer = test::wrap_outer(test::make_udp_bytes(100, kInner), {.dst = Ipv4Address("18.12.0.93")});
  expect_drop(outer, DropReason::decap_wrong_destination);
}

TEST_F(Decapsulate, ProtocolOtherThanFourIsNotIpip) {
  const Bytes inner = test::make_udp_bytes(100, kInner);
  expect_drop(test::wrap_outer(inner, {.protocol = 41}), DropReason::decap_not_ipip);
  expect_drop(test::wrap_outer(inner, {.protocol = 17}), DropReason::decap_not_ipip);
}

TEST_F(Decapsulate, MalformedOuterIsDropped) {
  const Bytes good = test::wrap_outer(test::make_udp_bytes(100, kInner));
  expect_drop(Bytes(good.begin(), good.begin() + 19), DropReason::decap_malformed_outer);
  Bytes bad_checksum = good;
  bad_checksum[11] ^= 0x01;
  expect_drop(bad_checksum, DropReason::decap_malformed_outer);
  Bytes too_long = good;
  too_long[3] = static_cast<std::uint8_t>(too_long[3] + 1);
  fix_header_checksum(too_long, 0);
  expect_drop(too_long, DropReason::decap_malformed_outer);
  Bytes fragment = good;
  fragment[6] |= 0x20;  // MF: the kernel would still be reassembling it
  fix_header_checksum(fragment, 0);
  expect_drop(fragment, DropReason::decap_malformed_outer);
  Bytes version6 = good;
  version6[0] = 0x65;
  expect_drop(version6, DropReason::decap_malformed_outer);
}

TEST_F(Decapsulate, OuterIhl6PutsInnerAtOffset24) {
  const Bytes inner = test::make_udp_bytes(60, kInner);
  const Bytes outer = with_options(test::wrap_outer(inner), {148, 4, 0, 0});  // router alert
  ASSERT_EQ(outer[0], 0x46);
  ASSERT_TRUE(bytes_equal(inner, std::span(outer).subspan(24)));
  EXPECT_TRUE(bytes_equal(inner, delivered(outer)));
}

TEST_F(Decapsulate, OuterTrailingPaddingIsNotPartOfInner) {
  const Bytes inner = test::make_udp_bytes(30, kInner);
  Bytes outer = test::wrap_outer(inner);
  outer.insert(outer.end(), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(bytes_equal(inner, delivered(outer)));
}

TEST_F(Decapsulate, InnerShorterThanHeaderIsTooShort) {
  const Bytes inner = test::make_udp_bytes(60, kInner);
  expect_inner_drop(Bytes(inner.begin(), inner.begin() + 19), DropReason::decap_inner_too_short);
  expect_inner_drop(Bytes{}, DropReason::decap_inner_too_short);
}

TEST_F(Decapsulate, InnerOtherVersionIsBadVersion) {
  Bytes inner = test::make_udp_bytes(60, kInner);
  inner[0] = 0x65;
  expect_inner_drop(inner, DropReason::decap_inner_bad_version);
  inner[0] = 0x05;
  expect_inner_drop(inner, DropReason::decap_inner_bad_version);
}

TEST_F(Decapsulate, InnerBadIhlIsDropped) {
  Bytes small = test::make_udp_bytes(60, kInner);
  small[0] = 0x44;
  expect_inner_drop(small, DropReason::decap_inner_bad_ihl);
  Bytes beyond = test::make_raw_ip_bytes(40, kInner);
  beyond[0] = 0x4f;  // 60-byte header in a 40-byte packet
  expect_inner_drop(beyond, DropReason::decap_inner_bad_ihl);
}

TEST_F(Decapsulate, InnerBadChecksumIsDropped) {
  Bytes inner = test::make_udp_bytes(60, kInner);
  inner[8] = static_cast<std::uint8_t>(inner[8] - 1);  // TTL changed, checksum not
  expect_inner_drop(inner, DropReason::decap_inner_bad_checksum);
}

TEST_F(Decapsulate, InnerLongerThanBytesPresentIsTruncated) {
  Bytes inner = test::make_udp_bytes(60, kInner);
  inner[3] = 61;
  fix_header_checksum(inner, 0);
  expect_inner_drop(inner, DropReason::decap_inner_truncated);
}

TEST_F(Decapsulate, InnerTrailingBytesAreTrimmed) {
  const Bytes inner = test::make_udp_bytes(60, kInner);
  Bytes padded = inner;
  padded.insert(padded.end(), {0xaa, 0xbb, 0xcc});
  EXPECT_TRUE(bytes_equal(inner, delivered(test::wrap_outer(padded))));
}

TEST_F(Decapsulate, InnerTtlZeroIsDropped) {
  expect_inner_drop(test::make_udp_bytes(60, {.src = kInner.src, .dst = kInner.dst, .ttl = 0}),
                    DropReason::decap_inner_ttl_zero);
}

class DecapsulateMartian : public Decapsulate, public ::testing::WithParamInterface<const char*> {};

TEST_P(DecapsulateMartian, RejectedWhenConfiguredDeliveredOtherwise) {
  const Bytes inner = test::make_udp_bytes(60, {.src = Ipv4Address(GetParam()), .dst = kInner.dst});
  expect_inner_drop(inner, DropReason::decap_inner_martian_source);
  config_.reject_martian_inner = false;
  EXPECT_TRUE(bytes_equal(inner, delivered(test::wrap_outer(inner))));
}

INSTANTIATE_TEST_SUITE_P(Sources, DecapsulateMartian,
                         ::testing::Values("0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.0.9", "224.0.0.1",
                                           "239.255.255.250", "240.0.0.1", "255.255.255.255", "18.12.0.92",
                                           "18.13.0.91"));

TEST_F(Decapsulate, OrdinarySourcesAreNotMartian) {
  for (const char* source : {"1.0.0.1", "126.255.255.255", "128.0.0.1", "223.255.255.254", "10.0.0.22"}) {
    const Bytes inner = test::make_udp_bytes(60, {.src = Ipv4Address(source), .dst = kInner.dst});
    EXPECT_TRUE(bytes_equal(inner, delivered(test::wrap_outer(inner)))) << source;
  }
}

TEST_F(Decapsulate, InnerSourceRouteOptionsAreDropped) {
  const Bytes plain = test::make_udp_bytes(60, kInner);
  // LSRR and SSRR with one hop, behind a NOP, padded with End of Options.
  expect_inner_drop(with_options(plain, {1, 131, 7, 4, 10, 0, 0, 9, 0, 0, 0, 0}), DropReason::decap_inner_source_route);
  expect_inner_drop(with_options(plain, {137, 7, 4, 10, 0, 0, 9, 0}), DropReason::decap_inner_source_route);
}

TEST_F(Decapsulate, InnerOtherOptionsPass) {
  const Bytes inner = with_options(test::make_udp_bytes(60, kInner), {148, 4, 0, 0, 1, 1, 0, 0});
  EXPECT_TRUE(bytes_equal(inner, delivered(test::wrap_outer(inner))));
  // An option list ended before an LSRR-looking byte: the byte is padding, not an option.
  const Bytes ended = with_options(test::make_udp_bytes(60, kInner), {0, 131, 0, 0});
  EXPECT_TRUE(bytes_equal(ended, delivered(test::wrap_outer(ended))));
}

// RFC 6040 §4.2, figure 4: the inner ECN field after decapsulation, or drop.
struct EcnRow {
  std::uint8_t outer;
  std::uint8_t inner;
  std::optional<std::uint8_t> result;  // nullopt: drop
};

std::string ecn_name(std::uint8_t e) {
  constexpr const char* kNames[] = {"NotEct", "Ect1", "Ect0", "Ce"};
  return kNames[e & 3];
}

class DecapsulateEcn : public Decapsulate, public ::testing::WithParamInterface<EcnRow> {};

TEST_P(DecapsulateEcn, FollowsRfc6040Table) {
  const EcnRow row = GetParam();
  const std::uint8_t inner_dscp = 0x0a << 2;
  const Bytes inner = test::make_udp_bytes(
      80, {.src = kInner.src, .dst = kInner.dst, .tos = static_cast<std::uint8_t>(inner_dscp | row.inner)});
  // The outer DSCP differs from the inner one and must not leak in.
  const Bytes outer = test::wrap_outer(inner, {.tos = static_cast<std::uint8_t>((0x2e << 2) | row.outer)});
  if (!row.result) {
    expect_drop(outer, DropReason::decap_ecn_ce_not_ect);
    return;
  }
  Bytes expected = inner;
  expected[1] = static_cast<std::uint8_t>(inner_dscp | *row.result);
  fix_header_checksum(expected, 0);
  const Bytes got = delivered(outer);
  EXPECT_TRUE(bytes_equal(expected, got));
  EXPECT_TRUE(test::checksums_ok(got));
}

using namespace ecn;
INSTANTIATE_TEST_SUITE_P(AllSixteen, DecapsulateEcn,
                         ::testing::Values(EcnRow{kNotEct, kNotEct, kNotEct}, EcnRow{kEct0, kNotEct, kNotEct},
                                           EcnRow{kEct1, kNotEct, kNotEct}, EcnRow{kCe, kNotEct, std::nullopt},
                                           EcnRow{kNotEct, kEct0, kEct0}, EcnRow{kEct0, kEct0, kEct0},
                                           EcnRow{kEct1, kEct0, kEct1}, EcnRow{kCe, kEct0, kCe},
                                           EcnRow{kNotEct, kEct1, kEct1}, EcnRow{kEct0, kEct1, kEct1},
                                           EcnRow{kEct1, kEct1, kEct1}, EcnRow{kCe, kEct1, kCe},
                                           EcnRow{kNotEct, kCe, kCe}, EcnRow{kEct0, kCe, kCe}, EcnRow{kEct1, kCe, kCe},
                                           EcnRow{kCe, kCe, kCe}),
                         [](const ::testing::TestParamInfo<EcnRow>& row_info) {
                           return "Outer" + ecn_name(row_info.param.outer) + "Inner" + ecn_name(row_info.param.inner);
                         });

TEST_F(Decapsulate, OuterDscpIsNotCopiedInward) {
  const Bytes inner = test::make_udp_bytes(80, {.src = kInner.src, .dst = kInner.dst, .tos = 0x00});
  EXPECT_TRUE(bytes_equal(inner, delivered(test::wrap_outer(inner, {.tos = 0xb8}))));
}

}  // namespace
}  // namespace tunlab

namespace tunlab {
namespace {

// Robustness: a damaged packet on the wire is dropped with a decapsulation reason or, when no
// check of the decapsulator can see the damage (an inner payload byte: the IPv4 checksum covers
// the header only; the host's UDP checksum catches it later), written through with a valid inner
// header. It never crashes and never yields two outcomes.
TEST(DecapsulateRobustness, EveryBitFlipAndTruncationEndsInExactlyOneOutcome) {
  TunnelConfig config;
  config.local = Ipv4Address("18.12.0.92");
  config.remote = Ipv4Address("18.13.0.91");
  const test::Bytes valid =
      test::wrap_outer(test::make_udp_bytes(92, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")}),
                       {.src = config.remote, .dst = config.local});
  auto check_one = [&](const test::Bytes& wire, const std::string& what) {
    TunnelActions actions;
    decapsulate(config, Packet(wire), actions);
    ASSERT_EQ(actions.size(), 1u) << what;
    if (actions[0].kind == TunnelAction::Kind::write_device) {
      const auto inner = Ipv4View::parse(actions[0].packet.bytes());
      ASSERT_TRUE(inner) << what;
      EXPECT_TRUE(inner->header_checksum_ok()) << what;
    } else {
      ASSERT_EQ(actions[0].kind, TunnelAction::Kind::drop) << what;
      EXPECT_TRUE(to_string(actions[0].reason).starts_with("decap-")) << what << ": " << to_string(actions[0].reason);
    }
  };
  for (std::size_t bit = 0; bit < valid.size() * 8; ++bit) {
    test::Bytes flipped = valid;
    flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    check_one(flipped, "bit " + std::to_string(bit));
  }
  for (std::size_t length = 0; length < valid.size(); ++length) {
    check_one(test::Bytes(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(length)),
              "truncated to " + std::to_string(length));
  }
}

}  // namespace
}  // namespace tunlab
