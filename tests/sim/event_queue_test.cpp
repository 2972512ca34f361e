// The simulator's clock: events run in (time, sequence) order, never at a wall-clock whim.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "tunlab/sim/accounting.hpp"
#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/random.hpp"

namespace tunlab::sim {
namespace {

TEST(EventQueueTest, RunsEventsInTimeOrderAndEqualTimesInSchedulingOrder) {
  EventQueue queue;
  std::vector<std::string> ran;
  queue.schedule(30, [&] { ran.push_back("c@30"); });
  queue.schedule(10, [&] { ran.push_back("a@10"); });
  queue.schedule(10, [&] { ran.push_back("b@10"); });
  queue.schedule(20, [&] {
    ran.push_back("x@20");
    queue.schedule(20, [&] { ran.push_back("y@20 (scheduled by x)"); });
  });
  queue.run_until(INT64_MAX);
  EXPECT_THAT(ran, ::testing::ElementsAre("a@10", "b@10", "x@20", "y@20 (scheduled by x)", "c@30"));
  EXPECT_EQ(queue.now(), 30);
}

TEST(EventQueueTest, RunUntilStopsAtTheLimitAndKeepsTheRest) {
  EventQueue queue;
  int ran = 0;
  for (Time t : {5, 10, 15}) {
    queue.schedule(t, [&] { ++ran; });
  }
  EXPECT_EQ(queue.run_until(10), 2u);
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.next_time(), 15);
}

struct Recorder final : PacketEventHandler {
  void handle_packet_event(std::uint32_t arg, Packet&& packet) override { seen.emplace_back(arg, packet.to_vector()); }
  std::vector<std::pair<std::uint32_t, std::vector<std::uint8_t>>> seen;
};

TEST(EventQueueTest, PacketEventsHandTheirPacketToTheHandler) {
  EventQueue queue;
  Recorder recorder;
  const std::vector<std::uint8_t> bytes{1, 2, 3};
  queue.schedule_packet(7, recorder, 42, Packet(bytes));
  queue.run_until(INT64_MAX);
  ASSERT_EQ(recorder.seen.size(), 1u);
  EXPECT_EQ(recorder.seen[0].first, 42u);
  EXPECT_EQ(recorder.seen[0].second, bytes);
}

// Lanes keep a link's packets out of the heap; whatever mix of lanes, out-of-order lane events,
// plain events and events scheduled while others run, the run order must be exactly (time,
// scheduling order), as if every event sat in one heap.
TEST(EventQueueTest, LanesRunInTheOrderOneHeapWouldGive) {
  struct Mix final : PacketEventHandler {
    EventQueue queue;
    std::vector<EventQueue::Lane> lanes;
    std::mt19937_64 random{7};
    std::uint32_t next_id = 0;
    std::vector<std::tuple<Time, std::uint32_t>> scheduled;  // (time, id): id is scheduling order
    std::vector<std::uint32_t> ran;

    void schedule_one() {
      const Time at = queue.now() + static_cast<Time>(random() % 8);  // many equal times
      const std::uint32_t id = next_id++;
      scheduled.emplace_back(at, id);
      switch (random() % 4) {
        case 0:
          queue.schedule(at, [this, id] { run(id); });
          break;
        case 1:
          queue.schedule_packet(at, *this, id, Packet{});
          break;
        default:  // a lane: in order most of the time, earlier than its last event now and then
          queue.schedule_packet(lanes[random() % lanes.size()], at, *this, id, Packet{});
      }
    }
    void run(std::uint32_t id) {
      ran.push_back(id);
      if (next_id < 20'000 && random() % 3 != 0) {  // keep scheduling while events run
        schedule_one();
        schedule_one();
      }
    }
    void handle_packet_event(std::uint32_t id, Packet&&) override { run(id); }
  } mix;
  for (int i = 0; i < 5; ++i) {
    mix.lanes.push_back(mix.queue.open_lane());
  }
  for (int i = 0; i < 200; ++i) {
    mix.schedule_one();
  }
  mix.queue.run_until(INT64_MAX);

  std::vector<std::tuple<Time, std::uint32_t>> expected = mix.scheduled;
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(mix.ran.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(mix.ran[i], std::get<1>(expected[i])) << "event " << i << " ran out of order";
  }
  EXPECT_GT(mix.ran.size(), 1'000u);
  EXPECT_TRUE(mix.queue.empty());
}

TEST(RandomTest, StreamsAreFixedBySeedAndNameAndDifferBetweenThem) {
  Random a = Random::derive(1, "link:wan.right");
  Random b = Random::derive(1, "link:wan.right");
  Random other_name = Random::derive(1, "link:wan.left");
  Random other_seed = Random::derive(2, "link:wan.right");
  const std::uint64_t first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, other_name.next());
  EXPECT_NE(first, other_seed.next());
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  EXPECT_FALSE(a.chance(0.0));
}

TEST(AccountingTest, EveryPacketEndsDeliveredOrDroppedOnce) {
  Accounting accounting;
  const std::uint32_t delivered = accounting.inject();
  const std::uint32_t dropped = accounting.inject();
  const std::uint32_t duplicated = accounting.inject();
  accounting.delivered(delivered);
  accounting.dropped(dropped, DropReason::link_loss);
  accounting.delivered(duplicated);
  accounting.delivered(duplicated);
  accounting.dropped(duplicated, DropReason::link_loss);  // a lost copy of a delivered packet
  EXPECT_EQ(accounting.injected(), 3u);
  EXPECT_EQ(accounting.delivered_count(), 2u);
  EXPECT_EQ(accounting.dropped_by_reason(), (std::map<std::string, std::uint64_t>{{"link-loss", 1}}));
  EXPECT_EQ(accounting.duplicate_deliveries(), 1u);
  EXPECT_EQ(accounting.drop_events()[DropReason::link_loss], 2u);
  EXPECT_TRUE(accounting.in_flight().empty());
}

TEST(AccountingTest, MergedFragmentsShareTheFateOfTheirDatagram) {
  Accounting accounting;
  const std::uint32_t first = accounting.inject();
  const std::uint32_t second = accounting.inject();
  const std::uint32_t lonely = accounting.inject();
  accounting.merge(second, first);
  accounting.delivered(first);
  EXPECT_EQ(accounting.fate(second), Accounting::Fate::delivered);
  EXPECT_THAT(accounting.in_flight(), ::testing::ElementsAre(lonely));
  accounting.settle(lonely, DropReason::reassembly_incomplete);
  EXPECT_EQ(accounting.dropped_by_reason(), (std::map<std::string, std::uint64_t>{{"reassembly-incomplete", 1}}));
}

}  // namespace
}  // namespace tunlab::sim
