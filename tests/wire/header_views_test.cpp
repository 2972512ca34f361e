// The checked header views of wire/ (Ethernet, ARP, ICMP, UDP, TCP) against packets libtins
// builds (the independent oracle): each reads the fields libtins wrote, and each refuses input one
// byte shorter than the header it needs. Also the IPv4 single-field reads (ip_version, ipv4_peek)
// and ipv4_edit::set_unfragmented, and the RFC 1071 checksum against its definition.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include <tins/arp.h>
#include <tins/dot1q.h>
#include <tins/ethernetII.h>
#include <tins/icmp.h>
#include <tins/ip.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>
#include <tins/udp.h>

#include "test_packets.hpp"
#include "tunlab/wire/arp.hpp"
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet_builder.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab {
namespace {

using test::Bytes;
using test::bytes_equal;
using test::pattern_bytes;
using test::serialize;
using test::tins_address;

const MacAddress kMacA{0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
const MacAddress kMacB{0x02, 0x00, 0x00, 0x00, 0x02, 0x01};
const Ipv4Address kIpA("10.0.0.12");
const Ipv4Address kIpB("10.0.0.22");

Tins::HWAddress<6> tins_mac(const MacAddress& mac) {
  return Tins::HWAddress<6>(mac.data());
}

// `n` payload bytes behind `l4` in a libtins IPv4 packet, serialised; returns the IP payload.
Bytes ip_payload_of(Tins::PDU& l4, std::size_t n) {
  Tins::IP ip(tins_address(kIpB), tins_address(kIpA));
  ip /= l4;
  ip /= Tins::RawPDU(pattern_bytes(n, 3));
  const Bytes packet = serialize(ip);
  return Bytes(packet.begin() + 20, packet.end());
}

ByteView short_by_one(const Bytes& bytes, std::size_t needed) {
  return ByteView(bytes).first(needed - 1);
}

// --- Ethernet ------------------------------------------------------------------------------------

TEST(EthernetView, ReadsTheAddressesAndEtherTypeLibtinsWrote) {
  Tins::EthernetII frame(tins_mac(kMacB), tins_mac(kMacA));
  frame /= Tins::IP(tins_address(kIpB), tins_address(kIpA)) / Tins::RawPDU(pattern_bytes(40));
  const Bytes bytes = serialize(frame);
  const auto ethernet = EthernetView::parse(bytes);
  ASSERT_TRUE(ethernet);
  EXPECT_EQ(ethernet->dst(), kMacB);
  EXPECT_EQ(ethernet->src(), kMacA);
  EXPECT_EQ(ethernet->ethertype(), ethertype::kIpv4);
  EXPECT_TRUE(bytes_equal(ByteView(bytes).subspan(14), ethernet->payload()));
}

TEST(EthernetView, RefusesAFrameOneByteShorterThanTheHeader) {
  Tins::EthernetII frame = Tins::EthernetII(tins_mac(kMacB), tins_mac(kMacA)) / Tins::RawPDU(Bytes(46));
  const Bytes bytes = serialize(frame);
  EXPECT_TRUE(EthernetView::parse(ByteView(bytes).first(EthernetView::kHeader)));
  EXPECT_FALSE(EthernetView::parse(short_by_one(bytes, EthernetView::kHeader)));
}

TEST(EthernetView, ReadsTheEtherTypeBehindOne8021QTag) {
  Tins::EthernetII frame(tins_mac(kMacB), tins_mac(kMacA));
  frame /= Tins::Dot1Q(7) / Tins::IP(tins_address(kIpB), tins_address(kIpA));
  const Bytes bytes = serialize(frame);
  const auto ethernet = EthernetView::parse(bytes);
  ASSERT_TRUE(ethernet);
  EXPECT_EQ(ethernet->ethertype(), ethertype::kVlan);
  EXPECT_EQ(ethernet->tagged_ethertype(), ethertype::kIpv4);
  const auto cut = EthernetView::parse(short_by_one(bytes, EthernetView::kHeader + EthernetView::kVlanTag));
  ASSERT_TRUE(cut);
  EXPECT_FALSE(cut->tagged_ethertype()) << "a tag cut short has no EtherType behind it";
}

TEST(WriteEthernetHeader, WritesWhatLibtinsWrites) {
  Tins::EthernetII frame =
      Tins::EthernetII(tins_mac(kMacB), tins_mac(kMacA)) / Tins::IP(tins_address(kIpB), tins_address(kIpA));
  const Bytes expected = serialize(frame);
  Bytes header(EthernetView::kHeader);
  write_ethernet_header(header, kMacB, kMacA, ethertype::kIpv4);
  EXPECT_TRUE(bytes_equal(ByteView(expected).first(EthernetView::kHeader), header));
}

// --- ARP -----------------------------------------------------------------------------------------

Bytes libtins_arp(std::uint16_t operation, const MacAddress& ethernet_dst, const MacAddress& target_mac) {
  Tins::ARP arp(tins_address(kIpB), tins_address(kIpA), tins_mac(target_mac), tins_mac(kMacA));
  arp.opcode(operation == arp::kRequest ? Tins::ARP::REQUEST : Tins::ARP::REPLY);
  Tins::EthernetII frame(tins_mac(ethernet_dst), tins_mac(kMacA));
  frame /= arp;
  return serialize(frame);
}

TEST(ArpView, ReadsARequestLibtinsBuilt) {
  const Bytes frame = libtins_arp(arp::kRequest, kBroadcastMac, MacAddress{});
  const auto ethernet = EthernetView::parse(frame);
  ASSERT_TRUE(ethernet);
  EXPECT_EQ(ethernet->ethertype(), ethertype::kArp);
  const auto message = ArpView::parse(ethernet->payload());
  ASSERT_TRUE(message);
  EXPECT_EQ(message->operation(), arp::kRequest);
  EXPECT_EQ(message->sender_mac(), kMacA);
  EXPECT_EQ(message->sender_ip(), kIpA);
  EXPECT_EQ(message->target_mac(), MacAddress{});
  EXPECT_EQ(message->target_ip(), kIpB);
}

TEST(ArpView, RefusesAMessageOneByteShorterThan28Bytes) {
  const Bytes frame = libtins_arp(arp::kRequest, kBroadcastMac, MacAddress{});
  const Bytes message(frame.begin() + EthernetView::kHeader, frame.end());
  EXPECT_TRUE(ArpView::parse(ByteView(message).first(ArpView::kLength)));
  EXPECT_FALSE(ArpView::parse(short_by_one(message, ArpView::kLength)));
}

TEST(ArpView, RefusesAnythingButIpv4OverEthernet) {
  const Bytes frame = libtins_arp(arp::kRequest, kBroadcastMac, MacAddress{});
  const Bytes good(frame.begin() + EthernetView::kHeader, frame.begin() + EthernetView::kHeader + ArpView::kLength);
  for (const std::size_t at : {1, 2, 4, 5}) {  // hardware type, protocol type, address lengths
    Bytes bad = good;
    bad[at] ^= 0x01;
    EXPECT_FALSE(ArpView::parse(bad)) << "byte " << at << " changed";
  }
}

TEST(BuildArpFrame, ARequestIsWhatLibtinsWrites) {
  const Bytes expected = libtins_arp(arp::kRequest, kBroadcastMac, MacAddress{});
  const Packet frame = build_arp_frame(
      {.operation = arp::kRequest, .sender_mac = kMacA, .sender_ip = kIpA, .target_mac = {}, .target_ip = kIpB},
      kBroadcastMac);
  ASSERT_EQ(frame.size(), EthernetView::kHeader + ArpView::kLength) << "unpadded";
  EXPECT_TRUE(bytes_equal(ByteView(expected).first(frame.size()), frame.bytes()));
}

TEST(BuildArpFrame, AReplyIsWhatLibtinsWrites) {
  const Bytes expected = libtins_arp(arp::kReply, kMacB, kMacB);
  const Packet frame = build_arp_frame(
      {.operation = arp::kReply, .sender_mac = kMacA, .sender_ip = kIpA, .target_mac = kMacB, .target_ip = kIpB},
      kMacB);
  EXPECT_TRUE(bytes_equal(ByteView(expected).first(frame.size()), frame.bytes()));
}

// --- ICMP ----------------------------------------------------------------------------------------

TEST(IcmpView, ReadsAnEchoRequestLibtinsBuilt) {
  Tins::ICMP echo(Tins::ICMP::ECHO_REQUEST);
  echo.id(0xbeef);
  echo.sequence(42);
  const Bytes message = ip_payload_of(echo, 24);
  const auto icmp = IcmpView::parse(message);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type(), icmp::kEchoRequest);
  EXPECT_EQ(icmp->code(), 0);
  EXPECT_TRUE(icmp->is_echo());
  EXPECT_FALSE(icmp->is_error());
  EXPECT_EQ(icmp->ident(), 0xbeef);
  EXPECT_EQ(icmp->sequence(), 42);
  EXPECT_EQ(icmp->rest_of_header(), 0xbeef002au);
  EXPECT_EQ(icmp->next_hop_mtu(), 0) << "only a fragmentation-needed error carries an MTU";
  EXPECT_TRUE(icmp->checksum_ok());
  EXPECT_NE(icmp->checksum(), 0);
  EXPECT_TRUE(bytes_equal(pattern_bytes(24, 3), icmp->payload()));
  EXPECT_TRUE(icmp->quoted().empty()) << "an echo quotes nothing";
}

TEST(IcmpView, ReadsTheMtuAndQuoteOfAFragNeededErrorLibtinsBuilt) {
  Tins::ICMP error(Tins::ICMP::DEST_UNREACHABLE);
  error.code(icmp::kFragNeeded);
  error.mtu(1420);
  const Bytes message = ip_payload_of(error, 28);
  const auto icmp = IcmpView::parse(message);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type(), icmp::kDestUnreachable);
  EXPECT_EQ(icmp->code(), icmp::kFragNeeded);
  EXPECT_TRUE(icmp->is_frag_needed());
  EXPECT_EQ(icmp->next_hop_mtu(), 1420);
  EXPECT_EQ(icmp->ident(), 0) << "only an echo has an identifier";
  EXPECT_TRUE(icmp->checksum_ok());
  EXPECT_TRUE(bytes_equal(pattern_bytes(28, 3), icmp->quoted()));
}

TEST(IcmpView, ATimeExceededErrorQuotesAndHasNoMtu) {
  Tins::ICMP error(Tins::ICMP::TIME_EXCEEDED);
  const Bytes message = ip_payload_of(error, 28);
  const auto icmp = IcmpView::parse(message);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type(), icmp::kTimeExceeded);
  EXPECT_EQ(icmp->code(), icmp::kTtlExceeded);
  EXPECT_TRUE(icmp->is_error());
  EXPECT_EQ(icmp->next_hop_mtu(), 0);
  EXPECT_EQ(icmp->quoted().size(), 28u);
}

TEST(IcmpView, RefusesAMessageOneByteShorterThanTheHeader) {
  Tins::ICMP echo(Tins::ICMP::ECHO_REPLY);
  const Bytes message = ip_payload_of(echo, 0);
  ASSERT_EQ(message.size(), IcmpView::kHeader);
  EXPECT_TRUE(IcmpView::parse(message));
  EXPECT_FALSE(IcmpView::parse(short_by_one(message, IcmpView::kHeader)));
  EXPECT_FALSE(IcmpView::parse({}));
}

TEST(IcmpView, ReadsBackWhatBuildIcmpErrorQuoted) {
  const Bytes offending = test::make_udp_bytes(64);
  const Packet error = build_icmp_error(kIpB, kIpA, icmp::kDestUnreachable, icmp::kFragNeeded, 1280, offending);
  const auto icmp = IcmpView::parse(error.bytes().subspan(20));
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->next_hop_mtu(), 1280);
  EXPECT_TRUE(icmp->checksum_ok());
  EXPECT_TRUE(bytes_equal(offending, icmp->quoted()));
}

TEST(IsIcmpErrorType, ExactlyUnreachableQuenchRedirectTimeExceededAndParameterProblem) {
  for (int type = 0; type < 256; ++type) {
    const bool expected = type == 3 || type == 4 || type == 5 || type == 11 || type == 12;  // RFC 792
    EXPECT_EQ(is_icmp_error_type(static_cast<std::uint8_t>(type)), expected) << "type " << type;
  }
}

// --- UDP -----------------------------------------------------------------------------------------

TEST(UdpView, ReadsThePortsLengthAndChecksumLibtinsWrote) {
  Tins::UDP udp(5001, 40000);
  const Bytes segment = ip_payload_of(udp, 30);
  const auto view = UdpView::parse(segment);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->src_port(), 40000);
  EXPECT_EQ(view->dst_port(), 5001);
  EXPECT_EQ(view->length(), 38);
  EXPECT_NE(view->checksum(), 0);
  EXPECT_EQ(test::reference_checksum(segment, pseudo_header_sum(kIpA, kIpB, ipproto::kUdp, segment.size())), 0);
  EXPECT_TRUE(bytes_equal(pattern_bytes(30, 3), view->payload()));
}

TEST(UdpView, RefusesASegmentOneByteShorterThanTheHeader) {
  Tins::UDP udp(5001, 40000);
  const Bytes segment = ip_payload_of(udp, 0);
  EXPECT_TRUE(UdpView::parse(segment));
  EXPECT_FALSE(UdpView::parse(short_by_one(segment, UdpView::kHeader)));
}

TEST(TransportPorts, ReadsBothPortsFromFourBytesAndRefusesThree) {
  Tins::TCP tcp(443, 51000);
  const Bytes segment = ip_payload_of(tcp, 0);
  const auto ports = transport_ports(ByteView(segment).first(4));
  ASSERT_TRUE(ports);
  EXPECT_EQ(ports->src, 51000);
  EXPECT_EQ(ports->dst, 443);
  EXPECT_FALSE(transport_ports(short_by_one(segment, 4)));
}

// --- TCP -----------------------------------------------------------------------------------------

TEST(TcpView, ReadsTheFieldsLibtinsWrote) {
  Tins::TCP tcp(443, 51000);
  tcp.seq(0x01020304);
  tcp.ack_seq(0xa0b0c0d0);
  tcp.window(1000);
  tcp.flags(Tins::TCP::SYN | Tins::TCP::ACK);
  tcp.mss(1460);  // one option: a 24-byte header
  const Bytes segment = ip_payload_of(tcp, 10);
  const auto view = TcpView::parse(segment);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->src_port(), 51000);
  EXPECT_EQ(view->dst_port(), 443);
  EXPECT_EQ(view->seq(), 0x01020304u);
  EXPECT_EQ(view->ack(), 0xa0b0c0d0u);
  EXPECT_EQ(view->window(), 1000);
  EXPECT_EQ(view->flags(), tcp_flag::kSyn | tcp_flag::kAck);
  EXPECT_EQ(view->header_length(), 24u);
  EXPECT_NE(view->checksum(), 0);
  EXPECT_TRUE(bytes_equal(pattern_bytes(10, 3), view->payload()));
}

TEST(TcpView, RefusesASegmentOneByteShorterThanTheMinimumHeader) {
  Tins::TCP tcp(443, 51000);
  const Bytes segment = ip_payload_of(tcp, 0);
  EXPECT_TRUE(TcpView::parse(segment));
  EXPECT_FALSE(TcpView::parse(short_by_one(segment, TcpView::kMinHeader)));
}

TEST(TcpView, ADataOffsetPastTheEndLeavesNoPayload) {
  Tins::TCP tcp(443, 51000);
  tcp.mss(1460);
  const Bytes segment = ip_payload_of(tcp, 0);
  const auto view = TcpView::parse(ByteView(segment).first(TcpView::kMinHeader));
  ASSERT_TRUE(view) << "the data offset is not checked by parse()";
  EXPECT_EQ(view->header_length(), 24u);
  EXPECT_TRUE(view->payload().empty());
}

// --- IPv4 single fields ---------------------------------------------------------------------------

// A libtins IPv4 packet with `n` payload bytes: TTL 7, DF as asked, and with `option` a 4-byte
// stream-identifier option (IHL 6).
Bytes tins_ipv4(bool df, bool option, std::size_t n = 8) {
  Tins::IP ip(tins_address(kIpB), tins_address(kIpA));
  ip.ttl(7);
  ip.flags(df ? Tins::IP::DONT_FRAGMENT : Tins::IP::Flags{});
  if (option) {
    ip.stream_identifier(0x1234);
  }
  ip /= Tins::RawPDU(pattern_bytes(n, 5));
  return serialize(ip);
}

TEST(IpVersion, ReadsTheNibbleOfIpv4AndIpv6AndZeroForNoBytes) {
  EXPECT_EQ(ip_version(tins_ipv4(false, false)), 4);
  const Bytes ipv6_first_byte{0x60};
  EXPECT_EQ(ip_version(ipv6_first_byte), 6);
  const Bytes version_5_ihl_15{0x5f};
  EXPECT_EQ(ip_version(version_5_ihl_15), 5) << "only the high nibble";
  EXPECT_EQ(ip_version(ByteView{}), 0);
}

TEST(Ipv4Peek, ReadsTheHeaderLengthAndTotalLengthLibtinsWrote) {
  const Bytes plain = tins_ipv4(false, false, 8);
  EXPECT_EQ(ipv4_peek::header_length(ByteView(plain).first(1)), 20u);
  EXPECT_EQ(ipv4_peek::total_length(ByteView(plain).first(4)), 28);
  const Bytes with_option = tins_ipv4(false, true, 8);
  ASSERT_EQ(with_option.size(), 32u);
  EXPECT_EQ(ipv4_peek::header_length(with_option), 24u);
  EXPECT_EQ(ipv4_peek::total_length(with_option), 32);
}

TEST(Ipv4Peek, ReadsDfAndTtlLibtinsWroteFromJustTheBytesUpToThem) {
  const Bytes df = tins_ipv4(true, false);
  const Bytes no_df = tins_ipv4(false, false);
  EXPECT_TRUE(ipv4_peek::df(ByteView(df).first(7)));
  EXPECT_FALSE(ipv4_peek::df(ByteView(no_df).first(7)));
  EXPECT_EQ(ipv4_peek::ttl(ByteView(df).first(9)), 7);
  // The same answers the checked view gives.
  EXPECT_EQ(ipv4_peek::df(df), Ipv4View::parse(df)->df());
  EXPECT_EQ(ipv4_peek::ttl(no_df), Ipv4View::parse(no_df)->ttl());
}

TEST(Ipv4Peek, DfIgnoresMfAndTheOffset) {
  Bytes header(20);
  write_ipv4_header(header, {.src = kIpA, .dst = kIpB, .mf = true, .fragment_offset_bytes = 8 * 0x1fff}, 20);
  EXPECT_FALSE(ipv4_peek::df(header));
  write_ipv4_header(header, {.src = kIpA, .dst = kIpB, .df = true, .mf = true, .fragment_offset_bytes = 8 * 0x1fff},
                    20);
  EXPECT_TRUE(ipv4_peek::df(header));
}

// set_unfragmented turns a fragment's header into the header write_ipv4_header gives the whole
// datagram: same fields, MF and offset cleared, DF as it was, new total length and checksum.
TEST(Ipv4EditSetUnfragmented, GivesTheHeaderOfTheWholeDatagramKeepingDf) {
  for (const bool df : {false, true}) {
    const Ipv4HeaderFields fragment{.src = kIpA,
                                    .dst = kIpB,
                                    .protocol = ipproto::kUdp,
                                    .tos = 0x2e,
                                    .ttl = 9,
                                    .id = 0xbeef,
                                    .df = df,
                                    .mf = true,
                                    .fragment_offset_bytes = 1480};
    Bytes header(20);
    write_ipv4_header(header, fragment, 1500);
    ipv4_edit::set_unfragmented(header, 3000);

    Ipv4HeaderFields whole = fragment;
    whole.mf = false;
    whole.fragment_offset_bytes = 0;
    Bytes expected(20);
    write_ipv4_header(expected, whole, 3000);
    EXPECT_TRUE(bytes_equal(expected, header)) << "df " << df;
    const auto view = Ipv4View::parse(header);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->df(), df);
    EXPECT_FALSE(view->is_fragment());
    EXPECT_EQ(view->total_length(), 3000);
    EXPECT_TRUE(view->header_checksum_ok());
  }
}

TEST(InternetChecksum, MatchesTheRfc1071DefinitionAtEveryLengthAndAlignment) {
  std::mt19937 rng(1071);
  Bytes buffer(65535 + 8);
  for (auto& b : buffer) {
    b = static_cast<std::uint8_t>(rng());
  }
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 100; ++n) {
    lengths.push_back(n);
  }
  for (const std::size_t n : {1499u, 1500u, 9001u, 65534u, 65535u}) {
    lengths.push_back(n);
  }
  for (const std::size_t length : lengths) {
    for (std::size_t offset = 0; offset < 8; ++offset) {
      const ByteView bytes = ByteView(buffer).subspan(offset, length);
      const auto initial = static_cast<std::uint32_t>(rng() & 0x3ffff);
      ASSERT_EQ(test::reference_checksum(bytes, initial), internet_checksum(bytes, initial))
          << "length " << length << " offset " << offset;
    }
  }
  // The sums that fold to 0xffff or to 0, where a one's-complement slip would show.
  for (const int fill : {0x00, 0xff}) {
    const Bytes same(1501, static_cast<std::uint8_t>(fill));
    for (const std::uint32_t initial : {0u, 0xffffu, 1u}) {
      EXPECT_EQ(test::reference_checksum(same, initial), internet_checksum(same, initial)) << fill;
    }
  }
}

TEST(Ipv4View, HeaderChecksumOkIsTheRfc1071CheckForEveryHeaderLength) {
  // Each header here, mostly 20 bytes and the rest of every other length, carries either its
  // right checksum or one off by a little; the check must say what the reference sum says.
  std::mt19937 rng(791);
  for (int i = 0; i < 20'000; ++i) {
    const std::size_t ihl = i % 4 == 0 ? 5 + rng() % 11 : 5;
    Bytes header(ihl * 4);
    for (auto& b : header) {
      b = static_cast<std::uint8_t>(rng());
    }
    header[0] = static_cast<std::uint8_t>(0x40 | ihl);
    header[10] = header[11] = 0;
    std::uint16_t sum = test::reference_checksum(header, 0);
    const int damage = static_cast<int>(rng() % 3);  // 0: right; 1, 2: wrong by that much
    sum = static_cast<std::uint16_t>(sum + damage);
    header[10] = static_cast<std::uint8_t>(sum >> 8);
    header[11] = static_cast<std::uint8_t>(sum);
    const auto view = Ipv4View::parse(header);
    ASSERT_TRUE(view);
    ASSERT_EQ(view->header_checksum_ok(), test::reference_checksum(header, 0) == 0)
        << "header " << i << ", " << header.size() << " bytes, damage " << damage;
  }
}

}  // namespace
}  // namespace tunlab
