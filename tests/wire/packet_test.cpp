// Packet: the headroom buffer every hop moves. Prepending and stripping headers must keep the
// bytes and must not reallocate while headroom lasts.
#include <gtest/gtest.h>

#include "tunlab/wire/packet.hpp"

namespace tunlab {
namespace {

const std::vector<std::uint8_t> kBytes{0x45, 0x00, 0x00, 0x14, 1, 2, 3, 4};

TEST(PacketTest, HoldsTheBytesItWasGiven) {
  const Packet p(kBytes);
  EXPECT_EQ(p.to_vector(), kBytes);
  EXPECT_EQ(p.size(), kBytes.size());
  EXPECT_EQ(p.headroom(), Packet::kHeadroom);
}

TEST(PacketTest, PushFrontUsesHeadroomWithoutMovingThePayload) {
  Packet p(kBytes);
  const std::uint8_t* payload = p.data();
  std::uint8_t* header = p.push_front(20);
  EXPECT_EQ(header + 20, payload) << "the payload stayed where it was";
  EXPECT_EQ(p.size(), kBytes.size() + 20);
  p.pull_front(20);
  EXPECT_EQ(p.data(), payload);
  EXPECT_EQ(p.to_vector(), kBytes);
}

TEST(PacketTest, PushFrontBeyondTheHeadroomReallocatesAndKeepsTheBytes) {
  Packet p(kBytes, 4);
  std::uint8_t* header = p.push_front(10);
  for (int i = 0; i < 10; ++i) {
    header[i] = static_cast<std::uint8_t>(0xa0 + i);
  }
  ASSERT_EQ(p.size(), kBytes.size() + 10);
  EXPECT_EQ(p[0], 0xa0);
  EXPECT_EQ(p[9], 0xa9);
  EXPECT_EQ(std::vector<std::uint8_t>(p.data() + 10, p.data() + p.size()), kBytes);
  EXPECT_GE(p.headroom(), Packet::kHeadroom) << "room again for the next header";
}

TEST(PacketTest, ResizeTrimsAndZeroFills) {
  Packet p(kBytes);
  p.resize(4);
  EXPECT_EQ(p.to_vector(), std::vector<std::uint8_t>(kBytes.begin(), kBytes.begin() + 4));
  p.resize(6);
  EXPECT_EQ(p[4], 0);
  EXPECT_EQ(p[5], 0);
}

TEST(PacketTest, EqualityComparesBytesOnly) {
  Packet a(kBytes);
  Packet b(kBytes, 0);
  b.origin = 9;
  EXPECT_EQ(a, b);
  b.mutable_bytes()[7] ^= 1;
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace tunlab
