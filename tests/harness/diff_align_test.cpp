// The diff page's pairing of packets (report/src/diff_align.hpp): a lost packet is one gap, not a
// difference on every later row; the key ignores what a diff is there to show.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "diff_align.hpp"
#include "test_packets.hpp"

namespace tunlab::report::detail {
namespace {

// Packet n of a flow: a UDP datagram whose payload is told apart by n.
test::Bytes packet(std::uint32_t n, test::IpSpec spec = {}) {
  spec.payload_seed = n;
  return test::make_udp_bytes(80, spec);
}

std::vector<DiffKey> keys(const std::vector<std::uint32_t>& numbers) {
  std::vector<DiffKey> out;
  for (const std::uint32_t n : numbers) {
    out.push_back(diff_key(packet(n)));
  }
  return out;
}

std::vector<std::uint32_t> range(std::uint32_t first, std::uint32_t end) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t n = first; n < end; ++n) {
    out.push_back(n);
  }
  return out;
}

std::size_t gaps(const std::vector<AlignedRow>& rows) {
  std::size_t n = 0;
  for (const AlignedRow& row : rows) {
    n += row.a == kNoPacket || row.b == kNoPacket ? 1 : 0;
  }
  return n;
}

TEST(DiffAlignTest, TheKeyIgnoresTtlTosIdAndDfButNotThePayloadOrPorts) {
  const DiffKey base = diff_key(packet(1));
  EXPECT_EQ(diff_key(packet(1, {.tos = 0xb8, .ttl = 9, .id = 77, .df = true})), base);
  EXPECT_EQ(diff_key(test::wrap_outer(packet(1), {.ttl = 3})), base);  // the innermost packet
  EXPECT_NE(diff_key(packet(2)), base);
  EXPECT_NE(diff_key(packet(1, {.src_port = 1})), base);
  EXPECT_NE(diff_key(packet(1, {.dst = Ipv4Address("10.0.0.23")})), base);
}

TEST(DiffAlignTest, ALostPacketInTheMiddleIsOneGapAndTheRestPair) {
  std::vector<std::uint32_t> lossy = range(0, 10);
  lossy.erase(lossy.begin() + 4);
  const auto rows = align_packets(keys(range(0, 10)), keys(lossy));
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(gaps(rows), 1u);
  EXPECT_EQ(rows[4], (AlignedRow{4, kNoPacket}));
  for (std::size_t i = 5; i < 10; ++i) {
    EXPECT_EQ(rows[i], (AlignedRow{i, i - 1}));
  }
}

TEST(DiffAlignTest, APacketOnlyInBIsAGapOnTheOtherSide) {
  const auto rows = align_packets(keys({0, 1, 2}), keys({0, 99, 1, 2}));
  EXPECT_EQ(rows, (std::vector<AlignedRow>{{0, 0}, {kNoPacket, 1}, {1, 2}, {2, 3}}));
}

TEST(DiffAlignTest, RepeatedKeysPairInOrder) {
  EXPECT_EQ(align_packets(keys({5, 5, 6}), keys({5, 6})), (std::vector<AlignedRow>{{0, 0}, {1, kNoPacket}, {2, 1}}));
  EXPECT_EQ(align_packets(keys({5, 6, 5, 7}), keys({6, 5, 7})),
            (std::vector<AlignedRow>{{0, kNoPacket}, {1, 0}, {2, 1}, {3, 2}}));
}

TEST(DiffAlignTest, ALongBurstOfLossesIsOneGapPerPacket) {
  std::vector<std::uint32_t> lossy = range(0, 100);
  const std::vector<std::uint32_t> after = range(3100, 3200);
  lossy.insert(lossy.end(), after.begin(), after.end());
  const auto rows = align_packets(keys(range(0, 3200)), keys(lossy));
  EXPECT_EQ(rows.size(), 3200u);
  EXPECT_EQ(gaps(rows), 3000u);
  EXPECT_EQ(rows.back(), (AlignedRow{3199, 199}));
}

TEST(DiffAlignTest, TwoLossesOnEitherSideStayGaps) {
  // A lost 3, B lost 4: each is a gap on its own side, the rest pairs.
  const auto rows = align_packets(keys({1, 2, 4, 5}), keys({1, 2, 3, 5}));
  EXPECT_EQ(rows, (std::vector<AlignedRow>{{0, 0}, {1, 1}, {2, kNoPacket}, {kNoPacket, 2}, {3, 3}}));
}

TEST(DiffAlignTest, APacketWhosePayloadChangedIsARowOfEachSide) {
  std::vector<DiffKey> b = keys({0, 1, 2});
  b[1].payload ^= 1;
  EXPECT_EQ(align_packets(keys({0, 1, 2}), b),
            (std::vector<AlignedRow>{{0, 0}, {1, kNoPacket}, {kNoPacket, 1}, {2, 2}}));
}

TEST(DiffAlignTest, EveryTenthPacketLostOfTwentyThousand) {
  std::vector<std::uint32_t> lossy;
  for (std::uint32_t n = 0; n < 20'000; ++n) {
    if (n % 10 != 3) {
      lossy.push_back(n);
    }
  }
  const auto rows = align_packets(keys(range(0, 20'000)), keys(lossy));
  EXPECT_EQ(rows.size(), 20'000u);
  EXPECT_EQ(gaps(rows), 2'000u);
}

}  // namespace
}  // namespace tunlab::report::detail
