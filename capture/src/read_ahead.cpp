#include "read_ahead.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tunlab {

void pread_exact(int fd, void* into, std::size_t size, std::uint64_t offset) {
  auto* p = static_cast<std::uint8_t*>(into);
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, p + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw std::runtime_error(n == 0 ? "the file ended early" : std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
}

namespace {

// Reads `length` bytes from `offset`, a block at a time.
ReadAhead::Fill read_range(int fd, std::uint64_t offset, std::uint64_t length) {
  return [fd, position = offset, left = length](std::uint8_t* block, std::size_t capacity) mutable -> std::size_t {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, capacity));
    pread_exact(fd, block, want, position);
    position += want;
    left -= want;
    return want;
  };
}

}  // namespace

ReadAhead::ReadAhead(int fd, std::uint64_t offset, std::uint64_t length, std::string what)
    : ReadAhead(read_range(fd, offset, length), std::move(what)) {}

ReadAhead::ReadAhead(Fill fill, std::string what) : fill_(std::move(fill)), what_(std::move(what)) {
  thread_ = std::thread([this] { fill_all(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  emptied_.notify_one();
  thread_.join();
}

ByteView ReadAhead::next() {
  std::unique_lock lock(mutex_);
  emptied_.notify_one();  // the block returned last time is free again
  filled_.wait(lock, [this] { return produced_ > consumed_ || done_; });
  if (produced_ == consumed_) {
    if (!error_.empty()) {
      throw std::runtime_error(what_ + ": cannot read back: " + error_);
    }
    return {};
  }
  const Block& block = blocks_[consumed_ % kBlocks];
  ++consumed_;
  return {block.data.get(), block.size};
}

void ReadAhead::fill_all() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // The consumer may still hold the block it was handed last: never fill that one.
    emptied_.wait(lock, [this] {
      const std::uint64_t in_use = consumed_ == 0 ? 0 : consumed_ - 1;
      return stop_ || produced_ < in_use + kBlocks;
    });
    if (stop_) {
      return;
    }
    Block& block = blocks_[produced_ % kBlocks];
    lock.unlock();  // the consumer does not look at this block until produced_ counts it
    std::string error;
    try {
      block.size = fill_(block.data.get(), kBlockBytes);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (!error.empty()) {
      error_ = error;
      break;
    }
    if (block.size == 0) {
      break;
    }
    ++produced_;
    filled_.notify_one();
  }
  done_ = true;
  filled_.notify_one();
}

}  // namespace tunlab
