// LinkFaults on its own, without a network: the decisions a seed gives are the same every time,
// targeted faults hit exactly their packet and leave the random stream alone, and every fault is
// logged with its packet number (what the shrinker replays).
#include "tunlab/sim/link_faults.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

namespace tunlab::sim {
namespace {

using ::testing::ElementsAre;
using Kind = LinkFaults::Kind;
using Event = LinkFaults::Event;

constexpr std::size_t kPackets = 2000;
constexpr std::size_t kSize = 100;

// Every kind of random fault at once, so each draw of the sequence is exercised.
scenario::LinkFaultSpec random_faults() {
  scenario::LinkFaultSpec spec;
  spec.loss = 0.2;
  spec.corrupt = 0.2;
  spec.jitter_ns = 1000;
  spec.reorder = 0.2;
  spec.reorder_delay_ns = 5'000'000;
  spec.duplicate = 0.2;
  return spec;
}

LinkFaults::Decision dropped(DropReason reason) {
  LinkFaults::Decision decision;
  decision.drop = reason;
  return decision;
}

LinkFaults::Decision passed(Time extra_delay, bool duplicate) {
  LinkFaults::Decision decision;
  decision.extra_delay = extra_delay;
  decision.duplicate = duplicate;
  return decision;
}

std::vector<LinkFaults::Decision> decide_all(LinkFaults& faults, std::size_t count = kPackets) {
  std::vector<LinkFaults::Decision> decisions;
  for (std::size_t i = 0; i < count; ++i) {
    decisions.push_back(faults.decide(kSize));
  }
  return decisions;
}

TEST(LinkFaultsTest, WithoutFaultsEveryPacketPassesUntouched) {
  LinkFaults none;
  for (const LinkFaults::Decision& d : decide_all(none, 10)) {
    EXPECT_EQ(d, LinkFaults::Decision{});
  }
  EXPECT_TRUE(none.events().empty());
}

TEST(LinkFaultsTest, TheSameSeedGivesTheSameDecisions) {
  LinkFaults first(random_faults(), Random(42));
  LinkFaults second(random_faults(), Random(42));
  EXPECT_EQ(decide_all(first), decide_all(second));
  EXPECT_EQ(first.events(), second.events());
  EXPECT_FALSE(first.events().empty());
}

TEST(LinkFaultsTest, AnotherSeedGivesOtherDecisions) {
  LinkFaults first(random_faults(), Random(42));
  LinkFaults other(random_faults(), Random(43));
  EXPECT_NE(decide_all(first), decide_all(other));
}

TEST(LinkFaultsTest, EveryKindOfRandomFaultHappensAndIsLogged) {
  LinkFaults faults(random_faults(), Random(7));
  const std::vector<LinkFaults::Decision> decisions = decide_all(faults);
  std::size_t lost = 0;
  std::size_t flipped = 0;
  std::size_t reordered = 0;
  std::size_t duplicated = 0;
  for (const LinkFaults::Decision& d : decisions) {
    if (d.drop) {
      EXPECT_EQ(*d.drop, DropReason::link_loss);
      EXPECT_EQ(d, dropped(DropReason::link_loss));  // nothing else decided
      ++lost;
      continue;
    }
    if (d.flip) {
      EXPECT_LT(d.flip->byte, kSize);
      EXPECT_EQ(__builtin_popcount(d.flip->mask), 1);
      ++flipped;
    }
    EXPECT_LE(d.extra_delay, 1000 + 5'000'000);
    reordered += d.extra_delay >= 5'000'000 ? 1 : 0;
    duplicated += d.duplicate ? 1 : 0;
  }
  // 20% of 2000 each (of the packets not lost, for all but loss): far from zero and from all.
  for (const std::size_t count : {lost, flipped, reordered, duplicated}) {
    EXPECT_GT(count, 150u);
    EXPECT_LT(count, 600u);
  }
  EXPECT_EQ(faults.events().size(), lost + flipped + reordered + duplicated);
  for (std::size_t i = 1; i < faults.events().size(); ++i) {
    EXPECT_LE(faults.events()[i - 1].packet, faults.events()[i].packet);
  }
}

TEST(LinkFaultsTest, DropNthDropsExactlyThatPacketAndLogsIt) {
  scenario::LinkFaultSpec spec;
  spec.drop_nth = {3};
  LinkFaults faults(spec, Random(1));
  const std::vector<LinkFaults::Decision> decisions = decide_all(faults, 5);
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    if (i + 1 == 3) {
      EXPECT_EQ(decisions[i], dropped(DropReason::fault_targeted));
    } else {
      EXPECT_EQ(decisions[i], LinkFaults::Decision{}) << "packet " << i + 1;
    }
  }
  EXPECT_THAT(faults.events(), ElementsAre(Event{3, Kind::drop}));
}

TEST(LinkFaultsTest, TargetedFaultsHitTheirPacketAndAreLogged) {
  scenario::LinkFaultSpec spec;
  spec.corrupt_nth = {1};
  spec.reorder_nth = {2};
  spec.reorder_delay_ns = 3'000'000;
  spec.duplicate_nth = {2, 4};
  LinkFaults faults(spec, Random(1));
  const std::vector<LinkFaults::Decision> decisions = decide_all(faults, 4);
  ASSERT_TRUE(decisions[0].flip.has_value());
  EXPECT_LT(decisions[0].flip->byte, kSize);
  EXPECT_EQ(decisions[1], passed(3'000'000, true));
  EXPECT_EQ(decisions[2], LinkFaults::Decision{});
  EXPECT_EQ(decisions[3], passed(0, true));
  EXPECT_THAT(faults.events(), ElementsAre(Event{1, Kind::corrupt}, Event{2, Kind::reorder}, Event{2, Kind::duplicate},
                                           Event{4, Kind::duplicate}));
}

TEST(LinkFaultsTest, CorruptingAnEmptyPacketIsLoggedButFlipsNothing) {
  scenario::LinkFaultSpec spec;
  spec.corrupt_nth = {1};
  LinkFaults faults(spec, Random(1));
  EXPECT_EQ(faults.decide(0), LinkFaults::Decision{});
  EXPECT_THAT(faults.events(), ElementsAre(Event{1, Kind::corrupt}));
}

// Each random draw comes before its targeted check: targeting a packet must not skip a draw, or
// every later packet's fate would change with it.
TEST(LinkFaultsTest, TargetedFaultsDoNotShiftTheRandomStream) {
  LinkFaults plain(random_faults(), Random(42));
  const std::vector<LinkFaults::Decision> before = decide_all(plain);
  std::size_t target = 0;
  while (before[target].drop || before[target].duplicate || before[target].extra_delay >= 5'000'000) {
    ++target;
  }
  scenario::LinkFaultSpec spec = random_faults();
  spec.reorder_nth = {target + 1};
  spec.duplicate_nth = {target + 1};
  LinkFaults targeted(spec, Random(42));
  const std::vector<LinkFaults::Decision> after = decide_all(targeted);
  for (std::size_t i = 0; i < kPackets; ++i) {
    if (i == target) {
      LinkFaults::Decision want = before[i];
      want.extra_delay += 5'000'000;
      want.duplicate = true;
      EXPECT_EQ(after[i], want);
    } else {
      EXPECT_EQ(after[i], before[i]) << "packet " << i + 1;
    }
  }
}

}  // namespace
}  // namespace tunlab::sim
