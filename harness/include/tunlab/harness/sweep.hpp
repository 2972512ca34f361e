// A seed sweep: one scenario, many seeds, on any Backend. In the simulator each seed is an
// independent deterministic run, so worker threads share nothing but the (read-only) scenario;
// results are kept by seed and reported in seed order, so they do not depend on the number of
// jobs or on scheduling. A backend whose runs cannot share a process (Backend::concurrent_runs;
// real namespaces) runs one seed at a time. `tunlab sweep` is this, printed; a GoogleTest can call
// it the same way:
//
//   const SweepResult r = sweep_seeds(sim::SimBackend(), scenario, {.seeds = {1, 100}});
//   EXPECT_EQ(r.failed(), 0u);
//   if (r.failed() > 0) { const ShrinkResult s = shrink_faults(backend, scenario, r.failures()[0]->seed, ...); }
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tunlab/harness/backend.hpp"
#include "tunlab/harness/shrink.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab {

struct SeedRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

// "A..B" (or "A", one seed); throws InputError naming `--seeds` unless A <= B.
SeedRange parse_seed_range(const std::string& text);

// GoogleTest's sharding protocol, so a CI matrix can split one sweep across machines: seed i is
// this shard's when (i - first) % total == index.
struct SweepShard {
  std::uint64_t index = 0;
  std::uint64_t total = 1;
  bool active = false;  // set from the environment (the default is every seed)
};

// GTEST_TOTAL_SHARDS and GTEST_SHARD_INDEX, or every seed when neither is set; throws InputError
// for a bad pair. Touches GTEST_SHARD_STATUS_FILE, telling a runner sharding was honoured.
SweepShard shard_from_environment();

// How many seeds of `range` are `shard`'s (UINT64_MAX when 2^64), and the i-th of them: a sweep
// computes its seeds as it goes, it never lists them.
std::uint64_t shard_seed_count(SeedRange range, SweepShard shard);
std::uint64_t shard_seed_at(SeedRange range, SweepShard shard, std::uint64_t i);

// Throws InputError naming --seeds when `shard` of `range` holds more than limits::kMaxSweepSeeds
// seeds (a sweep keeps one result per seed).
void check_sweep_size(SeedRange range, SweepShard shard);

// The seeds of `range` that are `shard`'s, in order (check_sweep_size first).
std::vector<std::uint64_t> shard_seeds(SeedRange range, SweepShard shard);

// Members all have initialisers, so designated initialisers may name only some:
// sweep_seeds(backend, s, {.seeds = {1, 100}, .jobs = 2}).
struct SweepOptions {
  SeedRange seeds{};
  SweepShard shard{};
  // Worker threads; 0: one per CPU (1 when the backend runs one seed at a time). Never more than
  // there are seeds; fewer when the system refuses a thread (SweepResult::jobs says how many ran).
  unsigned jobs = 0;
  const AppRegistry* apps = nullptr;  // not owned
  // Called with (seeds finished, of them failed) for every count from 1 to the number of seeds,
  // in order, from whichever worker finished the seed that completed the prefix (one at a time).
  std::function<void(std::size_t done, std::size_t failed)> progress{};
};

// How many workers `options.jobs` comes to for `seeds` seeds on `backend`; throws InputError for
// jobs > 1 on a backend that runs one seed at a time.
unsigned sweep_jobs(const Backend& backend, unsigned requested, std::size_t seeds);

struct SeedResult {
  std::uint64_t seed = 0;
  bool passed = false;
  std::string failure;  // first_failure()
};

struct SweepResult {
  std::string scenario;  // its name
  SeedRange seeds;
  SweepShard shard;
  unsigned jobs = 1;
  std::vector<SeedResult> results;  // one per seed run, in seed order

  std::vector<const SeedResult*> failures() const;
  std::size_t failed() const { return failures().size(); }
  std::size_t passed() const { return results.size() - failed(); }
};

// Runs `scenario` once per seed of options.seeds that is options.shard's. A seed's run that
// throws (bad input found while running) makes this throw InputError with the first such seed's
// message once every seed has run.
SweepResult sweep_seeds(const Backend& backend, const scenario::Scenario& scenario, const SweepOptions& options);

// Shrinking a sweep's failing seed, written back as a scenario file.
struct ShrunkSeed {
  std::uint64_t seed = 0;
  ShrinkResult result;
  std::string file;       // the scenario written; empty when the failure did not reproduce
  bool verified = false;  // the written file, loaded and run, fails the same way
  std::string verify_failure;
};

struct ShrinkToFileOptions {
  std::filesystem::path original{};  // the scenario file `scenario` was loaded from
  std::filesystem::path out{};       // where the minimal scenario goes
  // Lines on top of the written file, given the shrink's outcome (none if unset).
  std::function<std::string(const ShrinkResult&)> comment{};
  const AppRegistry* apps = nullptr;
};

// Shrinks the faults of `scenario` failing on `seed` (shrink_faults), writes the smallest failing
// scenario to options.out (scenario_writer.hpp), then loads and runs that file to check it fails
// the same way on its own. Writes nothing when the failure does not reproduce.
ShrunkSeed shrink_seed_to_file(const Backend& backend, const scenario::Scenario& scenario, std::uint64_t seed,
                               const ShrinkToFileOptions& options);

// Where `sweep --shrink` writes by default: STEM-shrunk-seedN.yaml in the working directory.
std::filesystem::path default_shrink_out(const std::filesystem::path& scenario_file, std::uint64_t seed);

// The sweep as JSON (what `tunlab sweep --json` prints, and the report embeds): scenario, file,
// seeds, shard, counts, each failure with `repro(seed)`, and the shrink if there was one.
std::string sweep_json(const SweepResult& result, const std::string& file,
                       const std::function<std::string(std::uint64_t seed)>& repro, const ShrunkSeed* shrunk);

}  // namespace tunlab
