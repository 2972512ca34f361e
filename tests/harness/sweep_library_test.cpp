// The seed sweep as a library call (tunlab/harness/sweep.hpp), from code as a GoogleTest user
// would: sweep a scenario over seeds on the simulator, lay `--fault` text over it, shrink a
// failing seed, write the minimal scenario and read the sweep's JSON. The CLI's own output is
// pinned by determinism_test.sh, ci_output_test.sh and sweep_planted_bug_test.sh.
#include "tunlab/harness/sweep.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tunlab/scenario/fault_override.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/scenario/shell_quote.hpp"
#include "tunlab/sim/sim_backend.hpp"

namespace tunlab {
namespace {

const std::filesystem::path kReorder = std::filesystem::path(TUNLAB_SOURCE_DIR) / "tests/sweep/reorder-fragments.yaml";

TEST(SweepLibrary, EverySeedOfACorrectScenarioPassesInSeedOrder) {
  const scenario::Scenario s = scenario::load_scenario_file(kReorder);
  std::size_t calls = 0;
  SweepOptions options{.seeds = {5, 16}, .jobs = 2};
  options.progress = [&calls](std::size_t done, std::size_t) { EXPECT_EQ(done, ++calls); };
  const SweepResult r = sweep_seeds(sim::SimBackend(), s, options);
  EXPECT_EQ(r.scenario, "reorder-fragments");
  ASSERT_EQ(r.results.size(), 12u);
  EXPECT_EQ(calls, 12u);
  for (std::size_t i = 0; i < r.results.size(); ++i) {
    EXPECT_EQ(r.results[i].seed, 5 + i);
    EXPECT_TRUE(r.results[i].passed) << "seed " << r.results[i].seed << ": " << r.results[i].failure;
  }
  EXPECT_EQ(r.passed(), 12u);
  EXPECT_EQ(r.failed(), 0u);
}

// Heavy loss laid over the scenario as --fault text: every seed loses datagrams. The same
// failures come back whatever the jobs, and a shard gets every other seed.
TEST(SweepLibrary, FaultOverridesMakeSeedsFailAndShrinkToATargetedFault) {
  scenario::Scenario s = scenario::load_scenario_file(kReorder);
  apply_fault_overrides(s, {.link = {"wan.right:loss=0.5"}});
  const sim::SimBackend backend;
  const SweepResult one = sweep_seeds(backend, s, {.seeds = {1, 6}, .jobs = 1});
  const SweepResult two = sweep_seeds(backend, s, {.seeds = {1, 6}, .jobs = 2});
  ASSERT_EQ(one.results.size(), 6u);
  EXPECT_EQ(one.failed(), 6u);
  for (std::size_t i = 0; i < one.results.size(); ++i) {
    EXPECT_EQ(one.results[i].failure, two.results[i].failure);
    EXPECT_NE(one.results[i].failure, "");
  }
  const SweepResult shard = sweep_seeds(backend, s, {.seeds = {1, 6}, .shard = {.index = 1, .total = 2}});
  ASSERT_EQ(shard.results.size(), 3u);
  EXPECT_EQ(shard.results[0].seed, 2u);
  EXPECT_EQ(shard.results[2].seed, 6u);

  const std::uint64_t seed = one.failures().front()->seed;
  const std::filesystem::path out = std::filesystem::path(TUNLAB_BINARY_DIR) / "sweep-library-shrunk.yaml";
  std::filesystem::remove(out);
  const ShrunkSeed shrunk = shrink_seed_to_file(
      backend, s, seed,
      {.original = kReorder, .out = out, .comment = [](const ShrinkResult&) { return std::string("# shrunk\n"); }});
  ASSERT_TRUE(shrunk.result.reproduced);
  EXPECT_LT(shrunk.result.faults_after, shrunk.result.faults_before);
  EXPECT_GE(shrunk.result.faults_after, 1u);
  EXPECT_TRUE(shrunk.verified) << shrunk.verify_failure;
  EXPECT_EQ(shrunk.file, out.string());
  std::ifstream written(out);
  const std::string text((std::istreambuf_iterator<char>(written)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(text.starts_with("# shrunk\n")) << text;
  EXPECT_NE(text.find("drop_nth"), std::string::npos) << text;
  EXPECT_EQ(text.find("loss:"), std::string::npos) << text;

  const nlohmann::json j = nlohmann::json::parse(sweep_json(
      one, "f.yaml", [](std::uint64_t n) { return "again " + std::to_string(n); }, &shrunk));
  EXPECT_EQ(j["failed"], 6);
  EXPECT_EQ(j["passed"], 0);
  EXPECT_EQ(j["failures"][0]["repro"], "again 1");
  EXPECT_EQ(j["shrunk"]["verified"], true);
}

TEST(SweepLibrary, SeedTextAndFaultTextErrorsAreInputErrors) {
  EXPECT_EQ(parse_seed_range("3..9").last, 9u);
  EXPECT_EQ(parse_seed_range("7").first, 7u);
  EXPECT_THROW(parse_seed_range("9..3"), InputError);
  scenario::Scenario s = scenario::load_scenario_file(kReorder);
  EXPECT_THROW(apply_fault_overrides(s, {.link = {"nowhere.x:loss=0.1"}}), InputError);
  const FaultOverrides overrides{.link = {"wan.right:loss=0.1"}, .device = {"a b"}};
  EXPECT_EQ(overrides.as_arguments(), " --fault wan.right:loss=0.1 --device-fault 'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

}  // namespace
}  // namespace tunlab
