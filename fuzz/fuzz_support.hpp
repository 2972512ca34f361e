// Shared by the fuzz targets: a fuzzer-driven byte reader and the oracle's abort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace tunlab::fuzz {

// Takes bytes from the front of the input; past the end it yields zeros.
class Input {
public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>((byte() << 8) | byte()); }
  bool flag() { return (byte() & 1) != 0; }
  std::span<const std::uint8_t> take(std::size_t n) {
    const std::size_t k = n < size_ - at_ ? n : size_ - at_;
    const std::span<const std::uint8_t> out(data_ + at_, k);
    at_ += k;
    return out;
  }
  std::span<const std::uint8_t> rest() { return take(size_ - at_); }
  bool empty() const { return at_ >= size_; }

private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

// An oracle failed: say which, then abort so libFuzzer keeps the input.
[[noreturn]] inline void oracle_failed(const char* what) {
  std::fprintf(stderr, "oracle failed: %s\n", what);
  std::abort();
}

}  // namespace tunlab::fuzz
