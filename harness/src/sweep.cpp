#include "tunlab/harness/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/scenario/safe_text.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/scenario/scenario_writer.hpp"

namespace tunlab {

namespace {

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

SeedRange parse_seed_range(const std::string& text) {
  const std::size_t dots = text.find("..");
  const auto first = parse_u64(std::string_view(text).substr(0, dots));
  const auto last = dots == std::string::npos ? first : parse_u64(std::string_view(text).substr(dots + 2));
  if (!first || !last || *last < *first) {
    throw InputError(fmt::format("--seeds '{}': want A..B with A <= B, like 1..1000", text));
  }
  return {*first, *last};
}

SweepShard shard_from_environment() {
  const char* total = std::getenv("GTEST_TOTAL_SHARDS");
  const char* index = std::getenv("GTEST_SHARD_INDEX");
  if (total == nullptr && index == nullptr) {
    return {};
  }
  const auto t = total ? parse_u64(total) : std::nullopt;
  const auto i = index ? parse_u64(index) : std::nullopt;
  if (!t || !i || *t == 0 || *i >= *t) {
    throw InputError(fmt::format("GTEST_TOTAL_SHARDS='{}' GTEST_SHARD_INDEX='{}': want both, with 0 <= INDEX < TOTAL",
                                 total ? total : "", index ? index : ""));
  }
  if (const char* status = std::getenv("GTEST_SHARD_STATUS_FILE")) {
    std::ofstream touch(status, std::ios::app);
  }
  return {*i, *t, true};
}

std::uint64_t shard_seed_count(SeedRange range, SweepShard shard) {
  const std::uint64_t span = range.last - range.first;  // the count less one: 0..2^64-1 fits
  if (shard.total == 0 || shard.index > span) {
    return 0;
  }
  const std::uint64_t less_one = (span - shard.index) / shard.total;
  return less_one == UINT64_MAX ? UINT64_MAX : less_one + 1;  // saturated: refused anyway
}

std::uint64_t shard_seed_at(SeedRange range, SweepShard shard, std::uint64_t i) {
  return range.first + shard.index + i * shard.total;
}

void check_sweep_size(SeedRange range, SweepShard shard) {
  const std::uint64_t count = shard_seed_count(range, shard);
  if (count > limits::kMaxSweepSeeds) {
    throw InputError(fmt::format(
        "--seeds {}..{}: {} seeds, more than the {} one sweep runs (split it into ranges)", range.first, range.last,
        count == UINT64_MAX ? std::string("2^64") : std::to_string(count), limits::kMaxSweepSeeds));
  }
}

std::vector<std::uint64_t> shard_seeds(SeedRange range, SweepShard shard) {
  check_sweep_size(range, shard);
  std::vector<std::uint64_t> seeds(shard_seed_count(range, shard));
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    seeds[i] = shard_seed_at(range, shard, i);
  }
  return seeds;
}

unsigned sweep_jobs(const Backend& backend, unsigned requested, std::size_t seeds) {
  const bool one_at_a_time = !backend.concurrent_runs();
  if (one_at_a_time && requested > 1) {
    throw InputError(
        fmt::format("--jobs {}: the {} backend runs one seed at a time (leave --jobs out)", requested, backend.name()));
  }
  const unsigned hardware = one_at_a_time ? 1u : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(
      std::clamp<std::size_t>(requested == 0 ? hardware : requested, 1, std::max<std::size_t>(seeds, 1)));
}

std::vector<const SeedResult*> SweepResult::failures() const {
  std::vector<const SeedResult*> out;
  for (const SeedResult& r : results) {
    if (!r.passed) {
      out.push_back(&r);
    }
  }
  return out;
}

SweepResult sweep_seeds(const Backend& backend, const scenario::Scenario& s, const SweepOptions& o) {
  check_sweep_size(o.seeds, o.shard);
  // Seeds are computed, not listed: seed i of this shard is first + index + i * total.
  const auto count = static_cast<std::size_t>(shard_seed_count(o.seeds, o.shard));
  const auto seed_at = [&o](std::size_t i) { return shard_seed_at(o.seeds, o.shard, i); };
  SweepResult out;
  out.scenario = s.name;
  out.seeds = o.seeds;
  out.shard = o.shard;
  out.jobs = sweep_jobs(backend, o.jobs, count);
  out.results.resize(count);
  std::vector<std::string> errors(count);
  std::vector<char> finished(count, 0);
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::size_t prefix = 0;  // results[0, prefix) are all finished
  std::size_t prefix_failed = 0;
  const auto work = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      SeedResult r;
      r.seed = seed_at(i);
      std::string error;
      try {
        BackendRunOptions options;
        options.seed = r.seed;
        options.apps = o.apps;
        options.digest = false;  // a seed passes or fails; its repro line gives the digest
        const RunSummary summary = backend.run(s, options);
        r.passed = summary.passed();
        r.failure = first_failure(summary);
      } catch (const std::exception& e) {
        error = e.what();
      }
      const std::lock_guard lock(mutex);
      out.results[i] = std::move(r);
      errors[i] = std::move(error);
      finished[i] = 1;
      while (prefix < count && finished[prefix]) {
        prefix_failed += out.results[prefix].passed ? 0 : 1;
        ++prefix;
        if (o.progress) {
          o.progress(prefix, prefix_failed);
        }
      }
    }
  };
  {
    // The system may give fewer threads than asked for (a process or memory limit): the sweep
    // then runs on those it got, this thread included, and no seed's result is lost.
    std::vector<std::jthread> workers;
    for (unsigned j = 1; j < out.jobs; ++j) {
      try {
        workers.emplace_back(work);
      } catch (const std::system_error&) {
        break;
      }
    }
    out.jobs = static_cast<unsigned>(workers.size()) + 1;
    work();
  }
  for (const std::string& error : errors) {
    if (!error.empty()) {
      throw InputError(error);
    }
  }
  return out;
}

std::filesystem::path default_shrink_out(const std::filesystem::path& scenario_file, std::uint64_t seed) {
  return fmt::format("{}-shrunk-seed{}.yaml", scenario_file.stem().string(), seed);
}

ShrunkSeed shrink_seed_to_file(const Backend& backend, const scenario::Scenario& s, std::uint64_t seed,
                               const ShrinkToFileOptions& o) {
  ShrunkSeed shrunk;
  shrunk.seed = seed;
  BackendRunOptions options;
  options.seed = seed;
  options.apps = o.apps;
  options.digest = false;
  const std::string key = failure_key(backend.run(s, options));
  shrunk.result = shrink_faults(backend, s, seed, key, o.apps);
  if (!shrunk.result.reproduced) {
    return shrunk;
  }
  scenario::write_scenario_with_faults(o.original, shrunk.result.minimal, seed, o.out,
                                       o.comment ? o.comment(shrunk.result) : std::string());
  shrunk.file = o.out.string();
  // The file is what a person will run: check it fails the same way on its own.
  BackendRunOptions rerun_options;
  rerun_options.apps = o.apps;
  rerun_options.digest = false;
  const RunSummary rerun = backend.run(scenario::load_scenario_file(o.out), rerun_options);
  shrunk.verified = !rerun.passed() && failure_key(rerun) == key;
  shrunk.verify_failure = first_failure(rerun);
  return shrunk;
}

std::string sweep_json(const SweepResult& result, const std::string& file,
                       const std::function<std::string(std::uint64_t seed)>& repro, const ShrunkSeed* shrunk) {
  const std::vector<const SeedResult*> failures = result.failures();
  nlohmann::ordered_json j;
  j["scenario"] = result.scenario;
  j["file"] = file;
  j["first_seed"] = result.seeds.first;
  j["last_seed"] = result.seeds.last;
  j["shard"] = {{"index", result.shard.index}, {"total", result.shard.total}};
  j["seeds"] = result.results.size();
  j["passed"] = result.results.size() - failures.size();
  j["failed"] = failures.size();
  j["failures"] = nlohmann::ordered_json::array();
  for (const SeedResult* r : failures) {
    j["failures"].push_back({{"seed", r->seed}, {"repro", repro(r->seed)}, {"first_failure", r->failure}});
  }
  if (shrunk != nullptr) {
    j["shrunk"] = {{"seed", shrunk->seed},
                   {"reproduced", shrunk->result.reproduced},
                   {"file", shrunk->file},
                   {"faults_before", shrunk->result.faults_before},
                   {"faults", shrunk->result.faults_after},
                   {"runs", shrunk->result.runs},
                   {"verified", shrunk->verified},
                   {"first_failure", shrunk->verify_failure}};
  }
  return safe_text::dump_json(j, 2);
}

}  // namespace tunlab
