#include "tunlab/sim/event_queue.hpp"

#include <algorithm>
#include <cassert>

namespace tunlab::sim {

Time EventQueue::next_time() const {
  return heap_.empty() ? now_ : heap_.front().at;
}

EventQueue::Event& EventQueue::push(Time at, std::uint64_t sequence) {
  assert(at >= now_ && "an event cannot be scheduled in the past");
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  heap_.push_back({at, sequence, slot});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  peak_size_ = std::max(peak_size_, size());
  return slots_[slot];
}

void EventQueue::replace_top(Key key) {
  // pop_heap then push_heap, in one sift down from the root: the next lane event usually
  // belongs near the top anyway.
  const std::size_t n = heap_.size();
  std::size_t hole = 0;
  for (;;) {
    std::size_t child = 2 * hole + 1;
    if (child >= n) {
      break;
    }
    if (child + 1 < n && Later{}(heap_[child], heap_[child + 1])) {
      ++child;
    }
    if (!Later{}(key, heap_[child])) {
      break;
    }
    heap_[hole] = heap_[child];
    hole = child;
  }
  heap_[hole] = key;
}

EventQueue::Lane EventQueue::open_lane() {
  lanes_.emplace_back();
  return static_cast<Lane>(lanes_.size() - 1);
}

void EventQueue::schedule_packet(Lane lane, Time at, PacketEventHandler& handler, std::uint32_t arg, Packet&& packet) {
  std::deque<LaneEvent>& events = lanes_.at(lane);
  if (!events.empty() && at < events.back().at) {
    schedule_packet(at, handler, arg, std::move(packet));
    return;
  }
  assert(at >= now_ && "an event cannot be scheduled in the past");
  const std::uint64_t sequence = next_sequence_++;
  events.push_back({at, sequence, &handler, arg, std::move(packet)});
  if (events.size() == 1) {
    heap_.push_back({at, sequence, kLaneBit | lane});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  } else {
    ++in_lanes_;
  }
  peak_size_ = std::max(peak_size_, size());
}

std::uint64_t EventQueue::reserve_sequences(std::uint64_t n) {
  const std::uint64_t first = next_sequence_;
  next_sequence_ += n;
  return first;
}

void EventQueue::schedule_reserved(Time at, std::uint64_t sequence, std::function<void()> fn) {
  assert(sequence < next_sequence_ && "the sequence number was not reserved");
  push(at, sequence).fn = std::move(fn);
}

void EventQueue::schedule(Time at, std::function<void()> fn) {
  push(at, next_sequence_++).fn = std::move(fn);
}

void EventQueue::schedule_packet(Time at, PacketEventHandler& handler, std::uint32_t arg, Packet&& packet) {
  Event& event = push(at, next_sequence_++);
  event.handler = &handler;
  event.arg = arg;
  event.packet = std::move(packet);
}

bool EventQueue::run_one() {
  if (heap_.empty()) {
    return false;
  }
  const Key key = heap_.front();
  now_ = key.at;
  if ((key.slot & kLaneBit) != 0) {
    std::deque<LaneEvent>& events = lanes_[key.slot & ~kLaneBit];
    LaneEvent& front = events.front();
    PacketEventHandler* handler = front.handler;
    const std::uint32_t arg = front.arg;
    Packet packet = std::move(front.packet);
    events.pop_front();
    if (events.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
    } else {
      --in_lanes_;
      replace_top({events.front().at, events.front().sequence, key.slot});
    }
    handler->handle_packet_event(arg, std::move(packet));
    return true;
  }
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  heap_.pop_back();
  // Only what the event runs leaves its slot (the handler may schedule more, which can move
  // slots_), and the slot is free again before it runs.
  Event& event = slots_[key.slot];
  if (event.handler != nullptr) {
    PacketEventHandler* handler = event.handler;
    const std::uint32_t arg = event.arg;
    Packet packet = std::move(event.packet);
    event.handler = nullptr;
    free_slots_.push_back(key.slot);
    handler->handle_packet_event(arg, std::move(packet));
  } else {
    const std::function<void()> fn = std::move(event.fn);
    event.fn = nullptr;
    free_slots_.push_back(key.slot);
    fn();
  }
  return true;
}

std::uint64_t EventQueue::run_until(Time until) {
  std::uint64_t count = 0;
  while (!heap_.empty() && heap_.front().at <= until) {
    run_one();
    ++count;
  }
  return count;
}

std::uint64_t EventQueue::run_until(Time until, std::uint64_t max_events) {
  std::uint64_t count = 0;
  while (count < max_events && !heap_.empty() && heap_.front().at <= until) {
    run_one();
    ++count;
  }
  return count;
}

}  // namespace tunlab::sim
