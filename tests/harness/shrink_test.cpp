// Shrinking is written over Backend: these tests drive it with a scripted backend, so what is
// pinned is the algorithm (random faults become targeted events, ddmin keeps what the failure
// needs) and not the simulator. The end-to-end shrink of a planted bug is sweep_planted_bug_test.sh.
#include "tunlab/harness/shrink.hpp"

#include <algorithm>
#include <functional>

#include <gtest/gtest.h>

namespace tunlab {
namespace {

// A backend whose runs fail ("lost" expectation) exactly when `fails(scenario)` says so, and
// whose random link faults, if any, "applied" the events in `applied`.
class ScriptedBackend final : public Backend {
public:
  std::function<bool(const scenario::Scenario&)> fails;
  std::vector<AppliedLinkFault> applied;
  mutable std::size_t runs = 0;

  std::string_view name() const override { return "scripted"; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  RunSummary run(const scenario::Scenario& s, const BackendRunOptions& options) const override {
    ++runs;
    if (options.applied_link_faults != nullptr) {
      const bool random = std::any_of(s.link_faults.begin(), s.link_faults.end(),
                                      [](const scenario::LinkFaultSpec& f) { return f.loss > 0; });
      *options.applied_link_faults = random ? applied : std::vector<AppliedLinkFault>{};
    }
    RunSummary summary;
    ExpectationResult lost;
    lost.name = "lost";
    lost.ok = !fails(s);
    lost.expected = "0";
    lost.seen = lost.ok ? "0" : "1";
    summary.expectations.push_back(lost);
    return summary;
  }
};

scenario::Scenario lossy_scenario_with_device_faults() {
  scenario::Scenario s;
  scenario::LinkFaultSpec wan;
  wan.from = {"wan", "right"};
  wan.loss = 0.3;
  s.link_faults.push_back(wan);
  scenario::DeviceFaultSpec tun;
  tun.host = "right";
  tun.device = "tun0";
  tun.eagain = 0.5;
  tun.read_buffer = 100;
  s.device_faults.push_back(tun);
  return s;
}

bool drops(const scenario::Scenario& s, std::uint64_t packet) {
  return !s.link_faults.empty() &&
         std::count(s.link_faults[0].drop_nth.begin(), s.link_faults[0].drop_nth.end(), packet) == 1;
}

TEST(ShrinkTest, RandomLossBecomesTheOneTargetedDropTheFailureNeeds) {
  ScriptedBackend backend;
  backend.applied = {{0, LinkFaultKind::drop, 3}, {0, LinkFaultKind::drop, 7}, {0, LinkFaultKind::duplicate, 9}};
  backend.fails = [](const scenario::Scenario& s) { return s.link_faults.empty() ? false : drops(s, 7); };
  const scenario::Scenario s = lossy_scenario_with_device_faults();

  const ShrinkResult r = shrink_faults(backend, s, 1, "lost");

  ASSERT_TRUE(r.reproduced);
  ASSERT_EQ(r.minimal.link_faults.size(), 1u);
  EXPECT_EQ(r.minimal.link_faults[0].loss, 0.0);
  EXPECT_EQ(r.minimal.link_faults[0].drop_nth, std::vector<std::uint64_t>{7});
  EXPECT_TRUE(r.minimal.link_faults[0].duplicate_nth.empty());
  EXPECT_TRUE(r.minimal.device_faults.empty());
  EXPECT_EQ(r.faults_before, 5u);  // three events, eagain, read_buffer
  EXPECT_EQ(r.faults_after, 1u);
  EXPECT_EQ(r.runs, backend.runs);
  EXPECT_EQ(r.failure, "lost: expected 0, seen 1");
}

TEST(ShrinkTest, ABackendWithoutLinkFaultsShrinksTheDeviceFaultSettings) {
  ScriptedBackend backend;  // applies no link faults
  backend.fails = [](const scenario::Scenario& s) {
    return !s.device_faults.empty() && s.device_faults[0].read_buffer;
  };
  scenario::Scenario s = lossy_scenario_with_device_faults();
  s.link_faults.clear();

  const ShrinkResult r = shrink_faults(backend, s, 1, "lost");

  ASSERT_TRUE(r.reproduced);
  ASSERT_EQ(r.minimal.device_faults.size(), 1u);
  EXPECT_EQ(r.minimal.device_faults[0].read_buffer, 100u);
  EXPECT_EQ(r.minimal.device_faults[0].eagain, 0.0);
  EXPECT_EQ(r.faults_after, 1u);
}

TEST(ShrinkTest, AFailureThatNeedsTheRandomnessItselfIsReportedNotReproduced) {
  ScriptedBackend backend;
  backend.applied = {{0, LinkFaultKind::drop, 3}};
  // Fails only while the loss probability is set: targeted events cannot stand in for it.
  backend.fails = [](const scenario::Scenario& s) { return !s.link_faults.empty() && s.link_faults[0].loss > 0; };

  const ShrinkResult r = shrink_faults(backend, lossy_scenario_with_device_faults(), 1, "lost");

  EXPECT_FALSE(r.reproduced);
  EXPECT_EQ(r.runs, 2u);  // the listing run and the all-targeted run
}

TEST(ShrinkTest, ADifferentFailureDoesNotCountAsTheSameOne) {
  ScriptedBackend backend;
  backend.applied = {{0, LinkFaultKind::drop, 7}};
  backend.fails = [](const scenario::Scenario& s) { return drops(s, 7); };

  const ShrinkResult r = shrink_faults(backend, lossy_scenario_with_device_faults(), 1, "some other expectation");

  EXPECT_FALSE(r.reproduced);
}

}  // namespace
}  // namespace tunlab
