// Packet builders against libtins' own serialisation (an independent writer), plus the ICMP rules
// and RFC 791 fragmentation checked with a reference reassembler.
#include "tunlab/wire/packet_builder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tins/icmp.h>
#include <tins/ip.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>
#include <tins/udp.h>

#include "test_packets.hpp"

namespace tunlab {
namespace {

using test::Bytes;
using test::bytes_equal;
using test::checksums_ok;

const Ipv4Address kSrc("10.0.0.12");
const Ipv4Address kDst("10.0.0.22");

// The documented payload pattern of packet_builder.cpp, written out again here so a change to it
// is a visible, deliberate test change.
Bytes expected_pattern(std::size_t n, std::uint32_t seed) {
  Bytes out(n);
  const std::uint32_t base = seed ^ 0x5bd1e995u;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t x = base + static_cast<std::uint32_t>(i) * 0x9e3779b1u;
    out[i] = static_cast<std::uint8_t>((x >> 24) ^ (x & 0xff));
  }
  return out;
}

void set_ip(Tins::IP& ip, std::uint8_t tos, std::uint8_t ttl, std::uint16_t id, bool df) {
  ip.tos(tos);
  ip.ttl(ttl);
  ip.id(id);
  ip.flags(df ? Tins::IP::DONT_FRAGMENT : Tins::IP::Flags{});
}

std::uint16_t be16(ByteView b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

// --- UDP -------------------------------------------------------------------------------------------

class BuildUdpSizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(BuildUdpSizes, MatchesLibtinsByteForByte) {
  const std::size_t size = GetParam();
  const UdpSpec spec{.src = kSrc,
                     .dst = kDst,
                     .src_port = 40000,
                     .dst_port = 5001,
                     .payload_size = size,
                     .payload_seed = 0xabcd0123,
                     .tos = 0xb8,
                     .ttl = 17,
                     .id = 0x4242,
                     .df = true};
  const Packet built = build_udp(spec);

  Tins::IP oracle(test::tins_address(kDst), test::tins_address(kSrc));
  set_ip(oracle, 0xb8, 17, 0x4242, true);
  const Bytes payload = expected_pattern(size, 0xabcd0123);
  oracle /= Tins::UDP(5001, 40000);
  if (!payload.empty()) {
    oracle /= Tins::RawPDU(payload.begin(), payload.end());
  }
  oracle.protocol(17);
  EXPECT_TRUE(bytes_equal(test::serialize(oracle), built.bytes()));
  EXPECT_TRUE(checksums_ok(built.bytes()));
}

INSTANTIATE_TEST_SUITE_P(PayloadSizes, BuildUdpSizes, ::testing::Values(0, 1, 2, 7, 63, 512, 1472));

TEST(BuildUdp, PayloadDependsOnSeedAndIsNotConstant) {
  const Packet a = build_udp({.src = kSrc, .dst = kDst, .payload_size = 64, .payload_seed = 1});
  const Packet b = build_udp({.src = kSrc, .dst = kDst, .payload_size = 64, .payload_seed = 2});
  const ByteView pa = a.bytes().subspan(28);
  EXPECT_FALSE(bytes_equal(pa, b.bytes().subspan(28)));
  EXPECT_THAT(Bytes(pa.begin(), pa.end()), ::testing::Not(::testing::Each(pa[0])));
}

TEST(BuildUdp, ComputedZeroChecksumIsSentAsAllOnes) {
  // The checksum is linear in the source port: a first build with port 0 yields field F = ~S, and
  // port F then makes the one's-complement sum 0xffff, i.e. a computed checksum of 0 (RFC 768).
  UdpSpec spec{.src = kSrc, .dst = kDst, .src_port = 0, .dst_port = 9, .payload_size = 10, .payload_seed = 3};
  const std::uint16_t first = be16(build_udp(spec).bytes(), 26);
  ASSERT_NE(first, 0xffff);
  spec.src_port = first;
  const Packet built = build_udp(spec);
  EXPECT_EQ(be16(built.bytes(), 26), 0xffff);
  EXPECT_TRUE(checksums_ok(built.bytes()));
}

TEST(BuildUdp, LibtinsParsesFields) {
  const Packet built = build_udp({.src = kSrc,
                                  .dst = kDst,
                                  .src_port = 1234,
                                  .dst_port = 53,
                                  .payload_size = 100,
                                  .tos = 0x02,
                                  .ttl = 3,
                                  .id = 77});
  const Tins::IP ip(built.data(), static_cast<std::uint32_t>(built.size()));
  EXPECT_EQ(ip.src_addr(), kSrc);
  EXPECT_EQ(ip.dst_addr(), kDst);
  EXPECT_EQ(ip.tot_len(), 128);
  EXPECT_EQ(ip.tos(), 0x02);
  EXPECT_EQ(ip.ttl(), 3);
  EXPECT_EQ(ip.id(), 77);
  EXPECT_EQ(ip.flags(), Tins::IP::Flags{});
  const auto& udp = ip.rfind_pdu<Tins::UDP>();
  EXPECT_EQ(udp.sport(), 1234);
  EXPECT_EQ(udp.dport(), 53);
  EXPECT_EQ(udp.length(), 108);
}

// --- ICMP echo -------------------------------------------------------------------------------------

TEST(BuildIcmpEcho, RequestAndReplyMatchLibtins) {
  for (const bool reply : {false, true}) {
    const Packet built = build_icmp_echo({.src = kSrc,
                                          .dst = kDst,
                                          .ident = 0x1d2e,
                                          .sequence = 9,
                                          .payload_size = 56,
                                          .reply = reply,
                                          .ttl = 64,
                                          .id = 5,
                                          .df = true});
    Tins::IP oracle(test::tins_address(kDst), test::tins_address(kSrc));
    set_ip(oracle, 0, 64, 5, true);
    Tins::ICMP icmp(reply ? Tins::ICMP::ECHO_REPLY : Tins::ICMP::ECHO_REQUEST);
    icmp.id(0x1d2e);
    icmp.sequence(9);
    const Bytes payload = expected_pattern(56, 9);  // seeded by the sequence only
    oracle /= icmp / Tins::RawPDU(payload.begin(), payload.end());
    EXPECT_TRUE(bytes_equal(test::serialize(oracle), built.bytes())) << "reply=" << reply;
    EXPECT_TRUE(checksums_ok(built.bytes()));
  }
}

// --- TCP -------------------------------------------------------------------------------------------

TEST(BuildTcp, MatchesLibtins) {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1000}}) {
    const Packet built = build_tcp({.src = kSrc,
                                    .dst = kDst,
                                    .src_port = 33000,
                                    .dst_port = 80,
                                    .seq = 0x01020304,
                                    .ack = 0xa0b0c0d0,
                                    .flags = 0x18,
                                    .payload_size = size,
                                    .tos = 0x10,
                                    .ttl = 60,
                                    .id = 999,
                                    .df = true});
    Tins::IP oracle(test::tins_address(kDst), test::tins_address(kSrc));
    set_ip(oracle, 0x10, 60, 999, true);
    Tins::TCP tcp(80, 33000);
    tcp.seq(0x01020304);
    tcp.ack_seq(0xa0b0c0d0);
    tcp.flags(0x18);
    tcp.window(0xffff);
    oracle /= tcp;
    const Bytes payload = expected_pattern(size, 0x01020304);
    if (!payload.empty()) {
      oracle /= Tins::RawPDU(payload.begin(), payload.end());
    }
    EXPECT_TRUE(bytes_equal(test::serialize(oracle), built.bytes())) << "size " << size;
    EXPECT_TRUE(checksums_ok(built.bytes()));
  }
}

// --- ICMP errors -----------------------------------------------------------------------------------

TEST(BuildIcmpError, FragNeededMatchesLibtins) {
  const Bytes offending = test::make_udp_bytes(100);
  const Packet built = build_icmp_error(Ipv4Address("10.0.0.1"), kSrc, 3, 4, 1400, offending);

  Tins::IP oracle(test::tins_address(kSrc), test::tins_address(Ipv4Address("10.0.0.1")));
  set_ip(oracle, 0, 64, 0, false);
  Tins::ICMP icmp(Tins::ICMP::DEST_UNREACHABLE);
  icmp.code(4);
  icmp.mtu(1400);
  oracle /= icmp / Tins::RawPDU(offending.begin(), offending.end());
  EXPECT_TRUE(bytes_equal(test::serialize(oracle), built.bytes()));
  EXPECT_TRUE(checksums_ok(built.bytes()));
  EXPECT_EQ(be16(built.bytes(), 26), 1400);
}

TEST(BuildIcmpError, QuoteStopsAt576BytesTotal) {
  const Bytes offending = test::make_udp_bytes(1500);
  const Packet built = build_icmp_error(Ipv4Address("10.0.0.1"), kSrc, 11, 0, 0, offending, 255);
  ASSERT_EQ(built.size(), 576u);
  EXPECT_EQ(be16(built.bytes(), 2), 576);
  EXPECT_EQ(built[8], 255);
  EXPECT_EQ(built[20], 11);
  EXPECT_EQ(built[21], 0);
  EXPECT_TRUE(bytes_equal(ByteView(offending).first(548), built.bytes().subspan(28)));
  EXPECT_TRUE(checksums_ok(built.bytes()));
}

TEST(BuildIcmpError, QuotesNoLinkPaddingAndIgnoresMtuForOtherCodes) {
  Bytes offending = test::make_udp_bytes(40);
  const Bytes exact = offending;
  offending.insert(offending.end(), {0xee, 0xee, 0xee, 0xee, 0xee, 0xee});  // Ethernet-style padding
  const Packet built = build_icmp_error(Ipv4Address("10.0.0.1"), kSrc, 3, 1, 1234, offending);
  ASSERT_EQ(built.size(), 20u + 8u + 40u);
  EXPECT_EQ(built[20], 3);
  EXPECT_EQ(built[21], 1);
  EXPECT_EQ(be16(built.bytes(), 24), 0);
  EXPECT_EQ(be16(built.bytes(), 26), 0);  // the MTU field means something only for 3/4
  EXPECT_TRUE(bytes_equal(exact, built.bytes().subspan(28)));
  EXPECT_TRUE(checksums_ok(built.bytes()));
}

// --- may_send_icmp_error_about -------------------------------------------------------------------

Bytes icmp_with_type(std::uint8_t type) {
  Tins::IP ip(test::tins_address(kDst), test::tins_address(kSrc));
  Tins::ICMP icmp;
  icmp.type(static_cast<Tins::ICMP::Flags>(type));
  const Bytes quote = test::make_udp_bytes(28);
  ip /= icmp / Tins::RawPDU(quote.begin(), quote.end());
  return test::serialize(ip);
}

TEST(MaySendIcmpError, OrdinaryDatagramAndEchoYes) {
  EXPECT_TRUE(may_send_icmp_error_about(test::make_udp_bytes(60)));
  EXPECT_TRUE(may_send_icmp_error_about(icmp_with_type(8)));
  EXPECT_TRUE(may_send_icmp_error_about(icmp_with_type(0)));
}

TEST(MaySendIcmpError, NeverAboutIcmpErrors) {
  for (const std::uint8_t type : std::initializer_list<std::uint8_t>{3, 4, 5, 11, 12}) {
    EXPECT_FALSE(may_send_icmp_error_about(icmp_with_type(type))) << "type " << int{type};
  }
}

TEST(MaySendIcmpError, FirstFragmentYesLaterFragmentsNo) {
  Bytes first = test::make_udp_bytes(60);
  first[6] = 0x20;  // MF, offset 0
  EXPECT_TRUE(may_send_icmp_error_about(first));
  Bytes later = test::make_udp_bytes(60);
  later[6] = 0x00;
  later[7] = 0x10;  // offset 128, last
  EXPECT_FALSE(may_send_icmp_error_about(later));
}

TEST(MaySendIcmpError, NotForBroadcastMulticastOrUnspecifiedSources) {
  EXPECT_FALSE(may_send_icmp_error_about(test::make_udp_bytes(40, {.dst = Ipv4Address("255.255.255.255")})));
  EXPECT_FALSE(may_send_icmp_error_about(test::make_udp_bytes(40, {.dst = Ipv4Address("224.0.0.1")})));
  EXPECT_FALSE(may_send_icmp_error_about(test::make_udp_bytes(40, {.dst = Ipv4Address("239.1.2.3")})));
  EXPECT_FALSE(may_send_icmp_error_about(test::make_udp_bytes(40, {.src = Ipv4Address("0.0.0.0")})));
  EXPECT_FALSE(may_send_icmp_error_about(test::make_udp_bytes(40, {.src = Ipv4Address("224.0.0.5")})));
}

TEST(MaySendIcmpError, NotAboutGarbage) {
  const std::uint8_t garbage[] = {0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(may_send_icmp_error_about(garbage));
  EXPECT_FALSE(may_send_icmp_error_about(ByteView(garbage).first(10)));
}

// --- fragment_ipv4 ------------------------------------------------------------------------------------

TEST(FragmentIpv4, ThreePiecesWithRightOffsetsAndFlags) {
  const Bytes original = test::make_udp_bytes(1500, {.id = 0x7777});
  Packet packet(original);
  packet.origin = 41;
  std::vector<Packet> fragments;
  fragment_ipv4(packet, 576, fragments);
  ASSERT_EQ(fragments.size(), 3u);
  const std::size_t sizes[] = {20 + 552, 20 + 552, 20 + 376};
  const std::uint16_t offsets[] = {0, 552 / 8, 1104 / 8};
  for (std::size_t i = 0; i < 3; ++i) {
    const Packet& f = fragments[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(f.size(), sizes[i]);
    EXPECT_EQ(f.origin, 41u);
    EXPECT_TRUE(checksums_ok(f.bytes()));
    const Tins::IP ip(f.data(), static_cast<std::uint32_t>(f.size()));
    EXPECT_EQ(ip.tot_len(), sizes[i]);
    EXPECT_EQ(ip.id(), 0x7777);
    EXPECT_EQ(ip.fragment_offset(), offsets[i]);
    EXPECT_EQ(ip.flags(), i < 2 ? Tins::IP::MORE_FRAGMENTS : Tins::IP::Flags{});
  }
  const auto whole = test::reassemble(fragments);
  ASSERT_TRUE(whole.has_value());
  EXPECT_TRUE(bytes_equal(original, *whole));
}

TEST(FragmentIpv4, ReassemblesForManySizesAndMtus) {
  for (std::size_t mtu : {68u, 100u, 576u, 1280u, 1480u}) {
    for (std::size_t size = 28; size <= 3000; size += 97) {
      const Bytes original = test::make_udp_bytes(size, {.payload_seed = static_cast<std::uint32_t>(size)});
      std::vector<Packet> fragments;
      fragment_ipv4(Packet(original), mtu, fragments);
      SCOPED_TRACE(::testing::Message() << "mtu " << mtu << " size " << size);
      ASSERT_EQ(fragments.size(), size <= mtu ? 1u : (size - 20 + (mtu - 20) / 8 * 8 - 1) / ((mtu - 20) / 8 * 8));
      for (const Packet& f : fragments) {
        EXPECT_LE(f.size(), mtu);
        EXPECT_TRUE(checksums_ok(f.bytes()));
      }
      const auto whole = test::reassemble(fragments);
      ASSERT_TRUE(whole.has_value());
      EXPECT_TRUE(bytes_equal(original, *whole));
    }
  }
}

TEST(FragmentIpv4, PacketThatFitsIsCopiedUnchanged) {
  const Bytes original = test::make_udp_bytes(576);
  Packet packet(original);
  packet.origin = 3;
  std::vector<Packet> fragments;
  fragment_ipv4(packet, 576, fragments);
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_TRUE(bytes_equal(original, fragments[0].bytes()));
  EXPECT_EQ(fragments[0].origin, 3u);
}

TEST(FragmentIpv4, RefragmentingAFragmentKeepsItsOffsetBaseAndMf) {
  // A middle fragment: offset 800, MF set, 1000 data bytes.
  Bytes middle = test::make_raw_ip_bytes(1020, {.id = 0x55});
  middle[6] = 0x20 | static_cast<std::uint8_t>((800 / 8) >> 8);
  middle[7] = static_cast<std::uint8_t>(800 / 8);
  middle[10] = middle[11] = 0;
  const std::uint16_t sum = test::reference_checksum(ByteView(middle).first(20));
  middle[10] = static_cast<std::uint8_t>(sum >> 8);
  middle[11] = static_cast<std::uint8_t>(sum);

  std::vector<Packet> fragments;
  fragment_ipv4(Packet(middle), 420, fragments);
  ASSERT_EQ(fragments.size(), 3u);  // 400 + 400 + 200 data bytes
  const std::uint16_t offsets[] = {800 / 8, 1200 / 8, 1600 / 8};
  for (std::size_t i = 0; i < 3; ++i) {
    const Tins::IP ip(fragments[i].data(), static_cast<std::uint32_t>(fragments[i].size()));
    EXPECT_EQ(ip.fragment_offset(), offsets[i]) << i;
    EXPECT_EQ(ip.flags(), Tins::IP::MORE_FRAGMENTS) << i;  // the original was not the last either
    EXPECT_TRUE(checksums_ok(fragments[i].bytes()));
    EXPECT_TRUE(
        bytes_equal(ByteView(middle).subspan(20 + 400 * i, ip.tot_len() - 20U), fragments[i].bytes().subspan(20)));
  }
}

TEST(FragmentIpv4, OnlyCopiedOptionsGoIntoLaterFragments) {
  // Record route (type 7, copy flag clear, 7 bytes) + router alert (148, copy flag set, 4 bytes)
  // + end of list: a 32-byte header.
  const std::uint8_t options[] = {7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0};
  const Bytes plain = test::make_raw_ip_bytes(620);
  Bytes original(plain.begin(), plain.begin() + 20);
  original.insert(original.end(), std::begin(options), std::end(options));
  original.insert(original.end(), plain.begin() + 20, plain.end());
  original[0] = 0x48;
  original[2] = static_cast<std::uint8_t>(original.size() >> 8);
  original[3] = static_cast<std::uint8_t>(original.size());
  original[10] = original[11] = 0;
  const std::uint16_t sum = test::reference_checksum(ByteView(original).first(32));
  original[10] = static_cast<std::uint8_t>(sum >> 8);
  original[11] = static_cast<std::uint8_t>(sum);

  std::vector<Packet> fragments;
  fragment_ipv4(Packet(original), 300, fragments);
  ASSERT_GE(fragments.size(), 2u);
  EXPECT_TRUE(bytes_equal(ByteView(original).subspan(20, 12), fragments[0].bytes().subspan(20, 12)));
  for (std::size_t i = 1; i < fragments.size(); ++i) {
    const ByteView f = fragments[i].bytes();
    EXPECT_EQ(f[0], 0x46) << i;
    const std::uint8_t router_alert[] = {148, 4, 0, 0};
    EXPECT_TRUE(bytes_equal(router_alert, f.subspan(20, 4)));
    EXPECT_TRUE(checksums_ok(f));
    EXPECT_LE(f.size(), 300u);
  }
  const auto whole = test::reassemble(fragments);
  ASSERT_TRUE(whole.has_value());
  EXPECT_TRUE(bytes_equal(original, *whole));
}

}  // namespace
}  // namespace tunlab
