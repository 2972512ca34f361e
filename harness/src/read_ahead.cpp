#include "read_ahead.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tunlab {

ReadAhead::ReadAhead(int fd, std::uint64_t offset, std::uint64_t length, std::string what)
    : fd_(fd), offset_(offset), length_(length), what_(std::move(what)) {
  thread_ = std::thread([this] { read_all(); });
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

void ReadAhead::read_all() {
  std::uint64_t position = offset_;
  std::uint64_t left = length_;
  std::unique_lock lock(mutex_);
  while (left > 0) {
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
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, kBlockBytes));
    std::size_t got = 0;
    std::string error;
    while (got < want) {
      const ssize_t n = ::pread(fd_, block.data.get() + got, want - got, static_cast<off_t>(position + got));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        error = n == 0 ? "the file ended early" : std::strerror(errno);
        break;
      }
      got += static_cast<std::size_t>(n);
    }
    block.size = got;
    lock.lock();
    if (!error.empty()) {
      error_ = error;
      break;
    }
    position += got;
    left -= got;
    ++produced_;
    filled_.notify_one();
  }
  done_ = true;
  filled_.notify_one();
}

}  // namespace tunlab
