// The payload fingerprint behind the "delivered bytes equal sent bytes" invariant: equal payloads
// agree, and no single flipped bit, anywhere, goes unnoticed.
#include <gtest/gtest.h>

#include "test_packets.hpp"
#include "tunlab/sim/payload_digest.hpp"

namespace tunlab::sim {
namespace {

TEST(PayloadDigestTest, EqualPayloadsGiveEqualDigests) {
  const test::Bytes a = test::pattern_bytes(1400, 3);
  const test::Bytes b = a;
  EXPECT_EQ(payload_digest(a), payload_digest(b));
}

TEST(PayloadDigestTest, EverySingleBitFlipChangesTheDigest) {
  for (std::size_t size : {0u, 1u, 7u, 8u, 9u, 64u, 1401u}) {
    const test::Bytes original = test::pattern_bytes(size, 11);
    const std::uint64_t digest = payload_digest(original);
    for (std::size_t bit = 0; bit < size * 8; ++bit) {
      test::Bytes flipped = original;
      flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      ASSERT_NE(payload_digest(flipped), digest) << "size " << size << ", bit " << bit;
    }
  }
}

TEST(PayloadDigestTest, TrailingZerosAndLengthMatter) {
  EXPECT_NE(payload_digest(test::Bytes{}), payload_digest(test::Bytes{0}));
  EXPECT_NE(payload_digest(test::Bytes(8, 0)), payload_digest(test::Bytes(9, 0)));
}

}  // namespace
}  // namespace tunlab::sim
