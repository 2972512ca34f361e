// The simulator's FIFO: order kept across wrap-around and growth, moved-out slots released.
#include <gtest/gtest.h>

#include <memory>

#include "tunlab/sim/ring_queue.hpp"

namespace tunlab::sim {
namespace {

TEST(RingQueueTest, KeepsFifoOrderAcrossWrapAroundAndGrowth) {
  RingQueue<int> queue;
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and pops so the head wraps many times while the queue grows to 100.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 5; ++i) {
      queue.push_back(next_in++);
    }
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(queue.front(), next_out++);
      queue.pop_front();
    }
  }
  EXPECT_EQ(queue.size(), 100u);
  int seen = next_out;
  queue.for_each([&](int v) { EXPECT_EQ(v, seen++); });
  while (!queue.empty()) {
    ASSERT_EQ(queue.front(), next_out++);
    queue.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(RingQueueTest, PopAndClearReleaseWhatTheSlotsHeld) {
  auto held = std::make_shared<int>(7);
  RingQueue<std::shared_ptr<int>> queue;
  queue.push_back(std::shared_ptr<int>(held));
  queue.push_back(std::shared_ptr<int>(held));
  EXPECT_EQ(held.use_count(), 3);
  queue.pop_front();
  EXPECT_EQ(held.use_count(), 2);
  queue.clear();
  EXPECT_EQ(held.use_count(), 1);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace tunlab::sim
