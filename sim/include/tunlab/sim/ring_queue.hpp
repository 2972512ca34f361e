// A FIFO on a circular buffer that only ever grows. std::deque allocates and frees a chunk every
// few hundred bytes of traffic; once this queue has seen its largest backlog it never allocates
// again, which keeps the simulator's per-hop path free of allocations.
#pragma once

#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

namespace tunlab::sim {

template <typename T>
class RingQueue {
public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push_back(T&& value) {
    if (size_ == slots_.size()) {
      grow();
    }
    slots_[(head_ + size_) % slots_.size()] = std::move(value);
    ++size_;
  }
  T& front() {
    assert(size_ > 0);
    return slots_[head_];
  }
  void pop_front() {
    assert(size_ > 0);
    slots_[head_] = T{};  // release what the slot still holds (a moved-from packet holds nothing)
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }
  void clear() {
    while (!empty()) {
      pop_front();
    }
  }
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) {
      f(slots_[(head_ + i) % slots_.size()]);
    }
  }

private:
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) % slots_.size()]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace tunlab::sim
