#include "tunlab/wire/packet.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tunlab {

namespace {
// Tailroom lets a TAP frame or an ICMP quote grow a little without reallocating.
constexpr std::size_t kTailroom = 32;
}  // namespace

Packet::Packet(ByteView bytes, std::size_t headroom)
    : storage_(headroom + bytes.size() + kTailroom), head_(headroom), size_(bytes.size()) {
  if (!bytes.empty()) {
    std::memcpy(storage_.data() + head_, bytes.data(), bytes.size());
  }
}

Packet Packet::with_size(std::size_t size, std::size_t headroom) {
  Packet packet;
  packet.storage_.resize(headroom + size + kTailroom);
  packet.head_ = headroom;
  packet.size_ = size;
  return packet;
}

std::uint8_t* Packet::push_front(std::size_t n) {
  if (n > head_) {
    // Out of headroom: move the bytes up, leaving kHeadroom in front of the new start.
    std::vector<std::uint8_t> bigger(n + kHeadroom + size_ + kTailroom);
    std::memcpy(bigger.data() + n + kHeadroom, data(), size_);
    storage_ = std::move(bigger);
    head_ = n + kHeadroom;
  }
  head_ -= n;
  size_ += n;
  return data();
}

void Packet::pull_front(std::size_t n) {
  assert(n <= size_);
  head_ += n;
  size_ -= n;
}

void Packet::resize(std::size_t n) {
  if (head_ + n > storage_.size()) {
    storage_.resize(head_ + n + kTailroom);
  }
  if (n > size_) {
    std::memset(storage_.data() + head_ + size_, 0, n - size_);
  }
  size_ = n;
}

void Packet::reserve(std::size_t n) {
  storage_.reserve(head_ + n + kTailroom);
}

void Packet::assign(ByteView bytes) {
  if (storage_.size() < kHeadroom + bytes.size()) {
    storage_.resize(kHeadroom + bytes.size() + kTailroom);
  }
  head_ = kHeadroom;
  size_ = bytes.size();
  if (!bytes.empty()) {
    std::memcpy(data(), bytes.data(), bytes.size());
  }
}

bool operator==(const Packet& a, const Packet& b) {
  return a.size_ == b.size_ && std::equal(a.data(), a.data() + a.size_, b.data());
}

}  // namespace tunlab
