// Reads a file front to back on a background thread, a block ahead of its consumer, so the
// consumer (the simulation reading a replay pcap, the digest hashing spilled captures) never waits
// in read(2): on these machines a system call costs more than parsing the block it returns.
// The consumer sees the same bytes in the same order as with plain reads; only the timing moves.
// Bounded: kBlocks blocks of kBlockBytes, whatever the file's size.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

class ReadAhead {
public:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  static constexpr std::size_t kBlocks = 4;

  // Reads `length` bytes of `fd` from `offset` (pread: the descriptor's position is not used).
  // `fd` stays the caller's and must stay open while this reads. `what` names the file in errors.
  ReadAhead(int fd, std::uint64_t offset, std::uint64_t length, std::string what);
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
  void read_all();

  int fd_;
  std::uint64_t offset_;
  std::uint64_t length_;
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
