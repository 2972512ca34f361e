// Reads a file front to back on a background thread, a block ahead of its consumer, so the
// consumer (the digest hashing captures after the run) never waits in read(2) and the reading
// overlaps the hashing.
// The consumer sees the same bytes in the same order as with plain reads; only the timing moves.
// The thread can also produce the blocks some other way (decompressing a spill: Fill), so that
// work too overlaps the consumer's.
// Bounded: kBlocks blocks of kBlockBytes, whatever the file's size.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Reads exactly `size` bytes of `fd` at `offset`. Throws std::runtime_error saying why ("the file
// ended early", or strerror): the caller names the file.
void pread_exact(int fd, void* into, std::size_t size, std::uint64_t offset);

class ReadAhead {
public:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  static constexpr std::size_t kBlocks = 4;

  // Reads `length` bytes of `fd` from `offset` (pread: the descriptor's position is not used).
  // `fd` stays the caller's and must stay open while this reads. `what` names the file in errors.
  ReadAhead(int fd, std::uint64_t offset, std::uint64_t length, std::string what);
  // Fills each block with `fill(block, kBlockBytes)` on the thread: the bytes it put there, 0 at
  // the end. What it throws (std::exception) reaches the consumer's next() as a read error.
  using Fill = std::function<std::size_t(std::uint8_t* block, std::size_t capacity)>;
  ReadAhead(Fill fill, std::string what);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next block (at most kBlockBytes), valid until the next call; empty at the end. Throws
  // std::runtime_error naming the file when a read failed or the file ended early.
  ByteView next();

private:
  struct Block {
    std::unique_ptr<std::uint8_t[]> data = std::make_unique_for_overwrite<std::uint8_t[]>(kBlockBytes);
    std::size_t size = 0;
  };
  void fill_all();

  Fill fill_;
  std::string what_;

  std::mutex mutex_;
  std::condition_variable filled_;
  std::condition_variable emptied_;
  Block blocks_[kBlocks];
  std::uint64_t produced_ = 0;  // blocks the thread has filled
  std::uint64_t consumed_ = 0;  // blocks handed to the consumer (the last one is still in use)
  bool done_ = false;           // the thread has read everything, or failed
  bool stop_ = false;
  std::string error_;
  std::thread thread_;
};

}  // namespace tunlab
