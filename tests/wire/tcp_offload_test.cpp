// TCP segmentation (TSO reads) and coalescing (GRO for GSO writes) against packets libtins builds
// on its own, plus round trips over fixed-seed random sizes.
#include "tunlab/wire/tcp_offload.hpp"

#include <gtest/gtest.h>

#include <random>

#include <tins/ip.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>
#include <tins/udp.h>

#include "counting_new.hpp"
#include "test_packets.hpp"

namespace tunlab {
namespace {

using test::Bytes;
using test::bytes_equal;
using test::checksums_ok;

struct TcpSpec {
  std::uint16_t id = 0x4000;
  std::uint32_t seq = 1'000'000;
  std::uint32_t ack = 77;
  std::uint8_t flags = Tins::TCP::ACK;
  std::uint8_t tos = 0;
  bool df = true;
  bool timestamp = true;
  std::uint32_t tsval = 5;
  std::uint16_t window = 512;
  std::uint16_t src_port = 40000;
};

// A TCP/IPv4 packet with `payload` bytes starting at pattern offset `offset` (so consecutive
// segments carry consecutive bytes of one stream), built and checksummed by libtins.
Bytes tcp_packet(std::size_t offset, std::size_t payload, const TcpSpec& spec) {
  Tins::IP ip("10.0.0.2", "10.0.0.1");
  ip.id(spec.id);
  ip.tos(spec.tos);
  ip.ttl(64);
  ip.flags(spec.df ? Tins::IP::DONT_FRAGMENT : Tins::IP::Flags{});
  Tins::TCP tcp(5201, spec.src_port);
  tcp.seq(spec.seq);
  tcp.ack_seq(spec.ack);
  tcp.window(spec.window);
  tcp.flags(spec.flags);
  if (spec.timestamp) {
    tcp.timestamp(spec.tsval, 9);
  }
  const Bytes stream = test::pattern_bytes(offset + payload, 3);
  Tins::RawPDU raw(Bytes(stream.begin() + static_cast<std::ptrdiff_t>(offset), stream.end()));
  Tins::IP packet = ip / tcp / raw;
  return test::serialize(packet);
}

Packet packet_of(const Bytes& bytes) {
  return Packet(ByteView(bytes));
}

// --- checksum completion -----------------------------------------------------------------------

TEST(CompleteChecksum, ReplacesAPseudoHeaderSumWithTheFullChecksumForRandomSizes) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 200; ++round) {
    const std::size_t payload = std::uniform_int_distribution<std::size_t>(0, 3000)(rng);
    const Bytes expected = tcp_packet(0, payload, {});
    Bytes partial = expected;
    const std::size_t tcp_length = partial.size() - 20;
    // What a NEEDS_CSUM read carries: the pseudo-header sum, folded and not complemented.
    const std::uint16_t pseudo = static_cast<std::uint16_t>(
        ~checksum_fold(pseudo_header_sum(Ipv4Address("10.0.0.2"), Ipv4Address("10.0.0.1"), 6, tcp_length)));
    partial[36] = static_cast<std::uint8_t>(pseudo >> 8);
    partial[37] = static_cast<std::uint8_t>(pseudo);
    ASSERT_TRUE(complete_checksum(MutableByteView(partial), 20, 16));
    ASSERT_TRUE(bytes_equal(expected, partial)) << "payload " << payload;
  }
}

TEST(CompleteChecksum, RefusesAnOffsetBeyondThePacket) {
  Bytes bytes = tcp_packet(0, 10, {});
  const Bytes before = bytes;
  EXPECT_FALSE(complete_checksum(MutableByteView(bytes), 20, bytes.size() - 21));
  EXPECT_FALSE(complete_checksum(MutableByteView(bytes), bytes.size() + 1, 0));
  EXPECT_EQ(before, bytes);
}

// --- segmentation ------------------------------------------------------------------------------

TEST(SegmentTcp4, CutsASuperPacketIntoTheSegmentsLibtinsBuildsOnItsOwn) {
  TcpSpec spec;
  spec.flags = Tins::TCP::ACK | Tins::TCP::PSH;
  const std::size_t mss = 1368;
  const std::size_t payload = 3 * mss + 100;
  Packet super = packet_of(tcp_packet(0, payload, spec));
  super.origin = 42;
  std::vector<Packet> pool;
  ASSERT_EQ(4u, segment_tcp4(super, static_cast<std::uint16_t>(mss), pool));
  for (std::size_t i = 0; i < 4; ++i) {
    TcpSpec expected_spec = spec;
    expected_spec.id = static_cast<std::uint16_t>(spec.id + i);
    expected_spec.seq = static_cast<std::uint32_t>(spec.seq + i * mss);
    expected_spec.flags = i == 3 ? spec.flags : static_cast<std::uint8_t>(Tins::TCP::ACK);  // PSH only on the last
    const Bytes expected = tcp_packet(i * mss, i == 3 ? 100 : mss, expected_spec);
    EXPECT_TRUE(bytes_equal(expected, pool[i].bytes())) << "segment " << i;
    EXPECT_EQ(42u, pool[i].origin);
  }
}

TEST(SegmentTcp4, KeepsCwrOnTheFirstSegmentAndFinOnTheLast) {
  TcpSpec spec;
  spec.flags = Tins::TCP::ACK | Tins::TCP::CWR | Tins::TCP::FIN;
  std::vector<Packet> pool;
  ASSERT_EQ(3u, segment_tcp4(packet_of(tcp_packet(0, 300, spec)), 100, pool));
  const auto flags = [&](std::size_t i) { return pool[i][20 + 13]; };
  EXPECT_EQ(Tins::TCP::ACK | Tins::TCP::CWR, flags(0));
  EXPECT_EQ(Tins::TCP::ACK, flags(1));
  EXPECT_EQ(Tins::TCP::ACK | Tins::TCP::FIN, flags(2));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(checksums_ok(pool[i].bytes())) << "segment " << i;
  }
}

TEST(SegmentTcp4, GivesOnePacketWithAFullChecksumWhenThePayloadFitsOneSegment) {
  const Bytes expected = tcp_packet(0, 500, {});
  Bytes partial = expected;
  partial[36] = 0x12;  // a partial checksum the kernel left
  partial[37] = 0x34;
  std::vector<Packet> pool;
  ASSERT_EQ(1u, segment_tcp4(packet_of(partial), 1400, pool));
  EXPECT_TRUE(bytes_equal(expected, pool[0].bytes()));
}

TEST(SegmentTcp4, WrapsTheIpv4IdAndTheSequenceNumber) {
  TcpSpec spec;
  spec.id = 0xffff;
  spec.seq = 0xffffff00u;
  std::vector<Packet> pool;
  ASSERT_EQ(3u, segment_tcp4(packet_of(tcp_packet(0, 600, spec)), 256, pool));
  EXPECT_EQ(0x0000, pool[1][4] << 8 | pool[1][5]);
  EXPECT_EQ(0x0001, pool[2][4] << 8 | pool[2][5]);
  EXPECT_EQ(0x00000000u,
            static_cast<std::uint32_t>(pool[1][24] << 24 | pool[1][25] << 16 | pool[1][26] << 8 | pool[1][27]));
}

TEST(SegmentTcp4, RefusesWhatIsNotAWholeTcpIpv4Packet) {
  std::vector<Packet> pool;
  EXPECT_EQ(0u, segment_tcp4(packet_of(test::make_udp_bytes(300)), 100, pool));
  Bytes truncated = tcp_packet(0, 300, {});
  truncated.resize(truncated.size() - 1);
  EXPECT_EQ(0u, segment_tcp4(packet_of(truncated), 100, pool));
  EXPECT_EQ(0u, segment_tcp4(packet_of(tcp_packet(0, 300, {})), 0, pool));
  Bytes fragment = tcp_packet(0, 300, {});
  fragment[6] |= 0x20;  // MF
  EXPECT_EQ(0u, segment_tcp4(packet_of(fragment), 100, pool));
}

// --- super-packet mode ---------------------------------------------------------------------------

TEST(FillTcp4Checksum, GivesASuperPacketTheChecksumLibtinsComputes) {
  const Bytes expected = tcp_packet(0, 20000, {});
  Bytes partial = expected;
  partial[36] = 0xab;
  partial[37] = 0xcd;
  Packet packet = packet_of(partial);
  ASSERT_TRUE(fill_tcp4_checksum(packet));
  EXPECT_TRUE(bytes_equal(expected, packet.bytes()));
  Packet udp = packet_of(test::make_udp_bytes(100));
  EXPECT_FALSE(fill_tcp4_checksum(udp));
}

TEST(DescribeTcp4SuperPacket, TurnsAWholePacketAboveTheMtuIntoAGsoWriteOfMtuSizedSegments) {
  const Bytes whole = tcp_packet(0, 20000, {});
  Packet packet = packet_of(whole);
  ASSERT_TRUE(describe_tcp4_super_packet(packet, 1420));
  EXPECT_EQ(GsoType::tcpv4, packet.offload.gso_type);
  EXPECT_EQ(1420u - 52u, packet.offload.segment_size);
  EXPECT_EQ(52u, packet.offload.header_length);
  Packet completed = packet;
  ASSERT_TRUE(complete_checksum(completed.mutable_bytes(), 20, 16));
  EXPECT_TRUE(bytes_equal(whole, completed.bytes()));  // the partial sum completes to the original
  std::vector<Packet> pool;
  const std::size_t count = segment_tcp4(packet, packet.offload.segment_size, pool);
  ASSERT_EQ((20000u + 1367u) / 1368u, count);
  for (std::size_t i = 0; i < count; ++i) {
    EXPECT_LE(pool[i].size(), 1420u);
    EXPECT_TRUE(checksums_ok(pool[i].bytes())) << "segment " << i;
  }
}

TEST(DescribeTcp4SuperPacket, LeavesACorruptOrSmallPacketAlone) {
  Bytes corrupt = tcp_packet(0, 5000, {});
  corrupt[3000] ^= 0x10;
  Packet packet = packet_of(corrupt);
  EXPECT_FALSE(describe_tcp4_super_packet(packet, 1420));
  EXPECT_FALSE(packet.offload.is_super_packet());
  EXPECT_TRUE(bytes_equal(corrupt, packet.bytes()));
  Packet small = packet_of(tcp_packet(0, 1000, {}));
  EXPECT_FALSE(describe_tcp4_super_packet(small, 1420));
}

// --- coalescing --------------------------------------------------------------------------------

// `count` consecutive segments of one flow, `mss` payload bytes each (the last `last` bytes).
std::vector<Bytes> flow_segments(std::size_t count, std::size_t mss, std::size_t last, TcpSpec spec = {}) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < count; ++i) {
    TcpSpec s = spec;
    s.id = static_cast<std::uint16_t>(spec.id + i);
    s.seq = static_cast<std::uint32_t>(spec.seq + i * mss);
    out.push_back(tcp_packet(i * mss, i + 1 == count ? last : mss, s));
  }
  return out;
}

std::vector<Packet> coalesce(const std::vector<Bytes>& packets) {
  TcpCoalescer coalescer;
  for (const Bytes& b : packets) {
    coalescer.add(packet_of(b));
  }
  std::vector<Packet> out;
  coalescer.flush([&](Packet& p) { out.push_back(p); });
  return out;
}

TEST(TcpCoalescer, MergesOneFlowIntoASuperPacketThatSegmentsBackToTheOriginals) {
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    const std::size_t mss = std::uniform_int_distribution<std::size_t>(1, 1460)(rng);
    const std::size_t count =
        std::uniform_int_distribution<std::size_t>(2, std::min<std::size_t>(40, 65000 / mss))(rng);
    const std::size_t last = std::uniform_int_distribution<std::size_t>(1, mss)(rng);
    TcpSpec spec;
    spec.id = static_cast<std::uint16_t>(rng());
    spec.seq = static_cast<std::uint32_t>(rng());
    const std::vector<Bytes> segments = flow_segments(count, mss, last, spec);
    const std::vector<Packet> out = coalesce(segments);
    ASSERT_EQ(1u, out.size()) << "mss " << mss << " count " << count;
    const OffloadInfo& offload = out[0].offload;
    EXPECT_EQ(GsoType::tcpv4, offload.gso_type);
    EXPECT_TRUE(offload.needs_checksum);
    EXPECT_EQ(mss, offload.segment_size);
    EXPECT_EQ(20u + 32u, offload.header_length);
    EXPECT_EQ(20u, offload.checksum_start);
    EXPECT_EQ(16u, offload.checksum_offset);
    // Completing the partial checksum gives a packet whose checksums verify.
    Packet completed = out[0];
    ASSERT_TRUE(complete_checksum(completed.mutable_bytes(), 20, 16));
    EXPECT_TRUE(checksums_ok(completed.bytes()));
    std::vector<Packet> pool;
    ASSERT_EQ(count, segment_tcp4(out[0], offload.segment_size, pool));
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_TRUE(bytes_equal(segments[i], pool[i].bytes())) << "mss " << mss << " segment " << i;
    }
  }
}

TEST(TcpCoalescer, HandsAPacketThatJoinedNothingOutUnchanged) {
  const Bytes udp = test::make_udp_bytes(200);
  const Bytes tcp = tcp_packet(0, 100, {});
  const std::vector<Packet> out = coalesce({udp, tcp});
  ASSERT_EQ(2u, out.size());
  EXPECT_TRUE(bytes_equal(udp, out[0].bytes()));
  EXPECT_TRUE(bytes_equal(tcp, out[1].bytes()));
  EXPECT_FALSE(out[0].offload.is_super_packet());
  EXPECT_FALSE(out[1].offload.is_super_packet());
}

// Each case: two segments of one flow that must not merge, and why.
struct Split {
  const char* why;
  void (*change)(TcpSpec& second, std::size_t& second_offset);
};

TEST(TcpCoalescer, KeepsSegmentsApartWhenTheKernelsGroWouldNot) {
  const Split cases[] = {
      {"sequence gap", [](TcpSpec& s, std::size_t& o) { s.seq += 1, o += 1; }},
      {"other ack", [](TcpSpec& s, std::size_t&) { s.ack += 1; }},
      {"ECN CE on one", [](TcpSpec& s, std::size_t&) { s.tos = 3; }},
      {"other window", [](TcpSpec& s, std::size_t&) { s.window = 1024; }},
      {"other timestamp", [](TcpSpec& s, std::size_t&) { s.tsval += 1; }},
      {"IPv4 ID not the next", [](TcpSpec& s, std::size_t&) { s.id += 5; }},
      {"DF differs", [](TcpSpec& s, std::size_t&) { s.df = false; }},
      {"SYN", [](TcpSpec& s, std::size_t&) { s.flags = Tins::TCP::ACK | Tins::TCP::SYN; }},
      {"ECE", [](TcpSpec& s, std::size_t&) { s.flags = Tins::TCP::ACK | Tins::TCP::ECE; }},
      {"other port", [](TcpSpec& s, std::size_t&) { s.src_port = 40001; }},
  };
  for (const Split& c : cases) {
    TcpSpec first;
    TcpSpec second = first;
    second.id = static_cast<std::uint16_t>(first.id + 1);
    second.seq = first.seq + 1000;
    std::size_t offset = 1000;
    c.change(second, offset);
    const std::vector<Packet> out = coalesce({tcp_packet(0, 1000, first), tcp_packet(offset, 1000, second)});
    EXPECT_EQ(2u, out.size()) << c.why;
  }
}

TEST(TcpCoalescer, PassesASegmentWithABadChecksumOnAloneForTheKernelToDrop) {
  std::vector<Bytes> segments = flow_segments(3, 1000, 1000);
  segments[1][100] ^= 0x01;  // a payload bit flipped on the wire; the IP header still verifies
  const std::vector<Packet> out = coalesce(segments);
  ASSERT_EQ(3u, out.size());
  EXPECT_TRUE(bytes_equal(segments[1], out[1].bytes()));
}

TEST(TcpCoalescer, EndsASuperPacketAfterPshOrAShortSegment) {
  std::vector<Bytes> segments = flow_segments(3, 1000, 500);  // the third is short
  // continues the stream, but after a short segment
  segments.push_back(tcp_packet(2500, 1000, TcpSpec{.id = 0x4003, .seq = 1'002'500}));
  std::vector<Packet> out = coalesce(segments);
  ASSERT_EQ(2u, out.size());
  EXPECT_EQ(2500u + 52u, out[0].size());

  TcpSpec push;
  push.flags = Tins::TCP::ACK | Tins::TCP::PSH;
  std::vector<Bytes> pushed = flow_segments(2, 1000, 1000);
  pushed[1] = tcp_packet(1000, 1000, TcpSpec{.id = 0x4001, .seq = 1'001'000, .flags = push.flags});
  pushed.push_back(tcp_packet(2000, 1000, TcpSpec{.id = 0x4002, .seq = 1'002'000}));
  out = coalesce(pushed);
  ASSERT_EQ(2u, out.size());
  EXPECT_EQ(Tins::TCP::ACK | Tins::TCP::PSH, out[0][20 + 13]);  // PSH carried onto the merged header
}

TEST(TcpCoalescer, KeepsEachFlowInOrderWhenFlowsInterleave) {
  TcpSpec other;
  other.src_port = 40001;
  const std::vector<Bytes> a = flow_segments(3, 1000, 1000);
  const std::vector<Bytes> b = flow_segments(2, 1000, 1000, other);
  const std::vector<Packet> out = coalesce({a[0], b[0], a[1], b[1], a[2]});
  ASSERT_EQ(2u, out.size());
  EXPECT_EQ(3000u + 52u, out[0].size());
  EXPECT_EQ(2000u + 52u, out[1].size());
}

TEST(TcpCoalescer, ReusesItsBuffersSoASteadyStreamAllocatesNothing) {
  // Batch after batch of one flow's 40 full segments, as a busy receiving tunnel sees them.
  TcpSpec spec;
  std::vector<std::vector<Packet>> batches(3);
  for (auto& batch : batches) {
    for (const Bytes& b : flow_segments(40, 1400, 1400, spec)) {
      batch.push_back(packet_of(b));
    }
    spec.id = static_cast<std::uint16_t>(spec.id + 40);
    spec.seq += 40 * 1400;
  }
  TcpCoalescer coalescer;
  std::vector<std::size_t> sizes;
  sizes.reserve(batches.size());
  std::vector<std::uint64_t> allocated;
  allocated.reserve(batches.size());
  for (auto& batch : batches) {
    const std::uint64_t before = test::heap_allocations();
    for (Packet& p : batch) {
      coalescer.add(std::move(p));
    }
    coalescer.flush([&](Packet& p) { sizes.push_back(p.size()); });
    allocated.push_back(test::heap_allocations() - before);
  }
  EXPECT_EQ(std::vector<std::size_t>(3, 40u * 1400u + 52u), sizes);
  EXPECT_GT(allocated[0], 0u);  // the count sees the first batch growing the buffer
  EXPECT_EQ(0u, allocated[1]) << "the second batch allocated";
  EXPECT_EQ(0u, allocated[2]) << "the third batch allocated";
}

TEST(TcpCoalescer, NeverBuildsMoreThan65535Bytes) {
  const std::vector<Bytes> segments = flow_segments(50, 1448, 1448);
  const std::vector<Packet> out = coalesce(segments);
  ASSERT_EQ(2u, out.size());
  EXPECT_LE(out[0].size(), 65535u);
  EXPECT_EQ(50u * 1448u + 2u * 52u, out[0].size() + out[1].size());
}

}  // namespace
}  // namespace tunlab
