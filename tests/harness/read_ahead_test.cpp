// ReadAhead: a background thread reads a file a block ahead of its consumer. The consumer must see
// exactly the bytes a plain read would give, in order, across block boundaries, and a file that
// ends before the promised length must be an error naming it, after every byte that was there.
// The same holds for blocks made by a fill function (a decompressing spill).
#include "read_ahead.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunlab {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

class ReadAheadTest : public ::testing::Test {
protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("tunlab-read_ahead_test-" + std::to_string(::getpid()));
    // Not a multiple of the block size, and no two blocks alike, so a block out of order shows.
    contents_.resize(5 * ReadAhead::kBlockBytes + 12'345);
    std::uint32_t x = 1;
    for (auto& byte : contents_) {
      x = x * 1'103'515'245u + 12'345u;
      byte = static_cast<std::uint8_t>(x >> 24);
    }
    std::ofstream(path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(contents_.data()), static_cast<std::streamsize>(contents_.size()));
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    ::close(fd_);
    fs::remove(path_);
  }

  fs::path path_;
  Bytes contents_;
  int fd_ = -1;
};

Bytes read_all(ReadAhead& reader) {
  Bytes out;
  for (ByteView block = reader.next(); !block.empty(); block = reader.next()) {
    EXPECT_LE(block.size(), ReadAhead::kBlockBytes);
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

TEST_F(ReadAheadTest, TheConsumerSeesTheWholeFileInOrder) {
  ReadAhead reader(fd_, 0, contents_.size(), path_.string());
  EXPECT_EQ(read_all(reader), contents_);
  EXPECT_TRUE(reader.next().empty());  // stays at the end
}

TEST_F(ReadAheadTest, ARangeStartsAtItsOffset) {
  const std::uint64_t offset = ReadAhead::kBlockBytes + 7;
  const std::uint64_t length = 2 * ReadAhead::kBlockBytes + 3;
  ReadAhead reader(fd_, offset, length, path_.string());
  EXPECT_EQ(read_all(reader), Bytes(contents_.begin() + offset, contents_.begin() + offset + length));
}

TEST_F(ReadAheadTest, AFileShorterThanPromisedIsAnErrorNamingItAfterWhatWasThere) {
  ReadAhead reader(fd_, 0, contents_.size() + 1, path_.string());
  Bytes seen;
  try {
    for (ByteView block = reader.next(); !block.empty(); block = reader.next()) {
      seen.insert(seen.end(), block.begin(), block.end());
    }
    ADD_FAILURE() << "the short file was read to its end without an error";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()), path_.string() + ": cannot read back: the file ended early");
  }
  // Every whole block before the short one arrived.
  EXPECT_EQ(seen, Bytes(contents_.begin(), contents_.begin() + 5 * ReadAhead::kBlockBytes));
}

TEST_F(ReadAheadTest, AConsumerThatStopsEarlyDoesNotHangTheReader) {
  auto reader = std::make_unique<ReadAhead>(fd_, 0, contents_.size(), path_.string());
  EXPECT_EQ(reader->next().size(), ReadAhead::kBlockBytes);
  reader.reset();  // the thread is blocked on a full ring: the destructor must still return
}

TEST(ReadAheadFill, BlocksAFillFunctionMakesReachTheConsumerInOrderUntilItGivesNothing) {
  int calls = 0;
  ReadAhead reader(
      [&calls](std::uint8_t* block, std::size_t capacity) -> std::size_t {
        EXPECT_EQ(capacity, ReadAhead::kBlockBytes);
        if (calls == 3) {
          return 0;
        }
        std::fill_n(block, calls + 1, static_cast<std::uint8_t>(calls));
        return static_cast<std::size_t>(++calls);
      },
      "three blocks");
  EXPECT_EQ(read_all(reader), (Bytes{0, 1, 1, 2, 2, 2}));  // block k holds k + 1 bytes of k
}

TEST(ReadAheadFill, WhatTheFillThrowsIsAReadErrorNamingTheSourceAfterTheBlocksBeforeIt) {
  int calls = 0;
  ReadAhead reader(
      [&calls](std::uint8_t* block, std::size_t) -> std::size_t {
        if (++calls == 2) {
          throw std::runtime_error("a damaged frame");
        }
        block[0] = 7;
        return 1;
      },
      "capture wan-left (temporary file)");
  EXPECT_EQ(reader.next().size(), 1u);
  try {
    reader.next();
    FAIL() << "expected a read error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "capture wan-left (temporary file): cannot read back: a damaged frame");
  }
}

}  // namespace
}  // namespace tunlab
