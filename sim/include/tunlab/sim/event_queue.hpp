// The simulator's discrete-event queue on a virtual clock. Events run in (time, sequence) order,
// so two events at the same virtual time always run in the order they were scheduled.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "tunlab/wire/packet.hpp"

namespace tunlab::sim {

using Time = std::int64_t;  // virtual nanoseconds since the start of the run

// Receives packet events without a closure per packet (closures that capture a Packet would
// allocate on every hop).
class PacketEventHandler {
public:
  virtual void handle_packet_event(std::uint32_t arg, Packet&& packet) = 0;

protected:
  ~PacketEventHandler() = default;
};

class EventQueue {
public:
  Time now() const { return now_; }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size() + in_lanes_; }
  // The most events the queue has held at once: what a run keeps in flight.
  std::size_t peak_size() const { return peak_size_; }
  Time next_time() const;

  void schedule(Time at, std::function<void()> fn);
  void schedule_packet(Time at, PacketEventHandler& handler, std::uint32_t arg, Packet&& packet);

  // A FIFO lane for a source whose events are mostly scheduled in time order (a link direction:
  // fixed latency). An event that is not earlier than the lane's last one waits in the lane and
  // only the lane's head sits in the heap, so the heap holds lanes, not every packet in flight.
  // The run order is exactly what schedule_packet() would give: (time, sequence) order, because a
  // lane is kept sorted by both; an event earlier than the lane's last one (jitter, reordering)
  // goes into the heap on its own.
  using Lane = std::uint32_t;
  Lane open_lane();
  void schedule_packet(Lane lane, Time at, PacketEventHandler& handler, std::uint32_t arg, Packet&& packet);

  // Sets aside `n` consecutive sequence numbers, as if `n` events were scheduled now, and returns
  // the first. Events scheduled later with schedule_reserved() and one of them run, among events
  // of equal time, exactly where they would have run had they been scheduled now: so a source of
  // many events (a traffic line) can schedule each only when the previous one runs.
  std::uint64_t reserve_sequences(std::uint64_t n);
  // Schedules `fn` with a sequence number from reserve_sequences(). Requires at >= now().
  void schedule_reserved(Time at, std::uint64_t sequence, std::function<void()> fn);

  // Pops and runs the earliest event; advances the clock to its time. False when empty.
  bool run_one();
  // Runs events while the earliest is at or before `until`. Returns the number run.
  std::uint64_t run_until(Time until);
  // The same, stopping after at most `max_events`.
  std::uint64_t run_until(Time until, std::uint64_t max_events);

private:
  struct Event {
    PacketEventHandler* handler = nullptr;
    std::uint32_t arg = 0;
    Packet packet;
    std::function<void()> fn;
  };
  // The heap orders small keys; the events themselves stay put in slots_ (moving a Packet and a
  // std::function at every sift step cost more than the rest of a hop).
  struct Key {
    Time at = 0;
    std::uint64_t sequence = 0;
    std::uint32_t slot = 0;  // an index into slots_, or kLaneBit | the lane
  };
  static constexpr std::uint32_t kLaneBit = 0x8000'0000;
  struct LaneEvent {
    Time at = 0;
    std::uint64_t sequence = 0;
    PacketEventHandler* handler = nullptr;
    std::uint32_t arg = 0;
    Packet packet;
  };
  struct Later {
    bool operator()(const Key& a, const Key& b) const { return a.at != b.at ? a.at > b.at : a.sequence > b.sequence; }
  };
  // A slot for an event at (at, sequence), in the heap already: the caller fills it in.
  Event& push(Time at, std::uint64_t sequence);
  // Replaces the heap's top with `key` and restores the heap.
  void replace_top(Key key);

  std::vector<Key> heap_;
  std::vector<Event> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::deque<LaneEvent>> lanes_;
  std::size_t in_lanes_ = 0;  // events waiting in lanes behind their heads
  Time now_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::size_t peak_size_ = 0;
};

}  // namespace tunlab::sim
