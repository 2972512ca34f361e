// CompressedSpill: a capture nobody asked to keep waits for the digest zstd-compressed in an
// unlinked temporary file. What comes back must be every byte appended, in order, whatever the
// chunking; alike records must take far less room than their pcap bytes; and a spill read back
// once (the digest) must read back whole again after more appends (copies, write_to).
#include "compressed_spill.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tunlab {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes read_all(CompressedSpill& spill) {
  const auto reader = spill.read_back();
  Bytes out;
  for (ByteView block = reader->next(); !block.empty(); block = reader->next()) {
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

// A stream of 100-byte "records" that differ in a counter, like a capture of generated traffic.
Bytes records(std::uint32_t first, std::size_t count) {
  Bytes out;
  for (std::uint32_t i = first; i < first + count; ++i) {
    for (std::size_t b = 0; b < 100; ++b) {
      out.push_back(static_cast<std::uint8_t>(b < 4 ? i >> (8 * b) : b));
    }
  }
  return out;
}

// Bytes no compressor can shrink.
Bytes noise(std::size_t size) {
  Bytes out(size);
  std::uint32_t x = 12'345;
  for (auto& byte : out) {
    x = x * 1'103'515'245u + 12'345u;
    byte = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

TEST(CompressedSpill, GivesBackEveryByteInOrderAcrossAppendsAndBlocks) {
  CompressedSpill spill("capture test (temporary file)");
  Bytes all;
  // Appends of uneven sizes, some larger than a read-back block, noise among alike records.
  for (const Bytes& piece : {records(0, 3'000), noise(70'001), records(3'000, 25'000), noise(3 << 20), Bytes{1}}) {
    spill.append(piece.data(), piece.size());
    all.insert(all.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(spill.original_bytes(), all.size());
  EXPECT_EQ(read_all(spill), all);
}

TEST(CompressedSpill, AlikeRecordsTakeATenthOfTheirBytesOrLess) {
  CompressedSpill spill("capture test (temporary file)");
  const Bytes all = records(0, 100'000);  // 10 MB
  for (std::size_t offset = 0; offset < all.size(); offset += 256 * 1024) {
    spill.append(all.data() + offset, std::min<std::size_t>(256 * 1024, all.size() - offset));
  }
  EXPECT_EQ(read_all(spill), all);
  EXPECT_LT(spill.stored_bytes(), all.size() / 10) << "stored " << spill.stored_bytes() << " of " << all.size();
}

TEST(CompressedSpill, ReadsBackWholeAgainAfterMoreAppends) {
  CompressedSpill spill("capture test (temporary file)");
  const Bytes first = records(0, 1'000);
  const Bytes second = records(1'000, 1'000);
  spill.append(first.data(), first.size());
  EXPECT_EQ(read_all(spill), first);
  EXPECT_EQ(read_all(spill), first);  // a second read-back with nothing new
  spill.append(second.data(), second.size());
  Bytes both = first;
  both.insert(both.end(), second.begin(), second.end());
  EXPECT_EQ(read_all(spill), both);
}

TEST(CompressedSpill, AnEmptySpillReadsBackEmpty) {
  CompressedSpill spill("capture test (temporary file)");
  EXPECT_TRUE(read_all(spill).empty());
}

}  // namespace
}  // namespace tunlab
