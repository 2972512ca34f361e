#include "tunlab/sim/event_queue.hpp"

#include <algorithm>
#include <cassert>

namespace tunlab::sim {

Time EventQueue::next_time() const {
  return heap_.empty() ? now_ : heap_.front().at;
}

void EventQueue::push(Time at, std::uint64_t sequence, Event&& event) {
  assert(at >= now_ && "an event cannot be scheduled in the past");
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(std::move(event));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = std::move(event);
  }
  heap_.push_back({at, sequence, slot});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  peak_size_ = std::max(peak_size_, size());
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
  Event event;
  event.fn = std::move(fn);
  push(at, sequence, std::move(event));
}

void EventQueue::schedule(Time at, std::function<void()> fn) {
  Event event;
  event.fn = std::move(fn);
  push(at, next_sequence_++, std::move(event));
}

void EventQueue::schedule_packet(Time at, PacketEventHandler& handler, std::uint32_t arg, Packet&& packet) {
  Event event;
  event.handler = &handler;
  event.arg = arg;
  event.packet = std::move(packet);
  push(at, next_sequence_++, std::move(event));
}

bool EventQueue::run_one() {
  if (heap_.empty()) {
    return false;
  }
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  const Key key = heap_.back();
  heap_.pop_back();
  if ((key.slot & kLaneBit) != 0) {
    std::deque<LaneEvent>& events = lanes_[key.slot & ~kLaneBit];
    LaneEvent event = std::move(events.front());
    events.pop_front();
    if (!events.empty()) {
      --in_lanes_;
      heap_.push_back({events.front().at, events.front().sequence, key.slot});
      std::push_heap(heap_.begin(), heap_.end(), Later{});
    }
    now_ = key.at;
    event.handler->handle_packet_event(event.arg, std::move(event.packet));
    return true;
  }
  Event event = std::move(slots_[key.slot]);
  free_slots_.push_back(key.slot);
  now_ = key.at;
  if (event.handler != nullptr) {
    event.handler->handle_packet_event(event.arg, std::move(event.packet));
  } else {
    event.fn();
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

}  // namespace tunlab::sim
