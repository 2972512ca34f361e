// tunlab sweep: one scenario, many seeds, on either backend. In the simulator each seed is an
// independent deterministic run with its own Network, so N worker threads share nothing but the
// (read-only) scenario; results are kept by seed and printed in seed order, so the output does not
// depend on --jobs or on scheduling. A backend whose runs cannot share a process
// (Backend::concurrent_runs; real namespaces) runs one seed at a time.
#include <errno.h>  // program_invocation_short_name
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backend_choice.hpp"
#include "commands.hpp"
#include "fault_override.hpp"
#include "junit.hpp"
#include "scenario_writer.hpp"
#include "tunlab/harness/shrink.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"

namespace tunlab::cli {

namespace {

struct SweepOptions {
  std::string file;
  std::string seeds;
  BackendChoice backend;
  unsigned jobs = 0;
  bool json = false;
  std::optional<std::string> junit;
  bool shrink = false;
  std::optional<std::string> shrink_out;
  std::optional<std::string> report_file;
  FaultOverrides faults;
  const AppRegistry* apps = nullptr;
};

struct SeedRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

SeedRange parse_seeds(const std::string& text) {
  const std::size_t dots = text.find("..");
  const auto first = parse_u64(std::string_view(text).substr(0, dots));
  const auto last = dots == std::string::npos ? first : parse_u64(std::string_view(text).substr(dots + 2));
  if (!first || !last || *last < *first) {
    throw InputError(fmt::format("--seeds '{}': want A..B with A <= B, like 1..1000", text));
  }
  return {*first, *last};
}

// GoogleTest's sharding protocol, so a CI matrix can split one sweep across machines: seed i is
// this shard's when (i - first) % TOTAL == INDEX.
struct Shard {
  std::uint64_t index = 0;
  std::uint64_t total = 1;
  bool active = false;
};

Shard shard_from_environment() {
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
  // Tells a GoogleTest-aware runner that sharding was honoured.
  if (const char* status = std::getenv("GTEST_SHARD_STATUS_FILE")) {
    std::ofstream touch(status, std::ios::app);
  }
  return {*i, *t, true};
}

struct SeedResult {
  std::uint64_t seed = 0;
  bool passed = false;
  std::string failure;  // first_failure()
  std::string error;    // bad input found while running
};

// `\r[#####.....] 512/1000 seeds, 3 failed` on a terminal, a plain line every 10% otherwise.
// update() sees every count from 1 to total in order (seeds finished in seed order), so even the
// plain lines are the same on every run.
class Progress {
public:
  Progress(std::size_t total, bool terminal) : total_(total), terminal_(terminal) {}

  void update(std::size_t done, std::size_t failed) {
    if (terminal_) {
      constexpr std::size_t kWidth = 30;
      const std::size_t filled = done * kWidth / total_;
      fmt::print(stderr, "\r[{}{}] {}/{} seeds, {} failed", std::string(filled, '#'), std::string(kWidth - filled, '.'),
                 done, total_, failed);
      std::fflush(stderr);
    } else if (done * 10 / total_ > (done - 1) * 10 / total_) {
      fmt::print(stderr, "sweep: {}/{} seeds, {} failed\n", done, total_, failed);
    }
  }

  void finish() {
    if (terminal_) {
      fmt::print(stderr, "\n");
    }
  }

private:
  std::size_t total_;
  bool terminal_;
};

std::vector<SeedResult> run_seeds(const Backend& backend, const scenario::Scenario& s,
                                  const std::vector<std::uint64_t>& seeds, unsigned jobs, const AppRegistry* apps) {
  std::vector<SeedResult> results(seeds.size());
  std::vector<char> finished(seeds.size(), 0);
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::size_t prefix = 0;  // results[0, prefix) are all finished
  std::size_t prefix_failed = 0;
  Progress progress(seeds.size(), isatty(STDERR_FILENO) == 1);
  const auto work = [&] {
    for (std::size_t i = next++; i < seeds.size(); i = next++) {
      SeedResult r;
      r.seed = seeds[i];
      try {
        BackendRunOptions options;
        options.seed = seeds[i];
        options.apps = apps;
        options.digest = false;  // a seed passes or fails; its repro line gives the digest
        const RunSummary summary = backend.run(s, options);
        r.passed = summary.passed();
        r.failure = first_failure(summary);
      } catch (const std::exception& e) {
        r.error = e.what();
      }
      const std::lock_guard lock(mutex);
      results[i] = std::move(r);
      finished[i] = 1;
      while (prefix < seeds.size() && finished[prefix]) {
        prefix_failed += results[prefix].passed ? 0 : 1;
        ++prefix;
        progress.update(prefix, prefix_failed);
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    for (unsigned j = 1; j < jobs; ++j) {
      workers.emplace_back(work);
    }
    work();
  }
  progress.finish();
  return results;
}

std::string program_name() {
  return program_invocation_short_name;
}

std::string repro_line(const SweepOptions& o, std::uint64_t seed) {
  const std::string backend = o.backend.name == "sim" ? "" : " --backend " + o.backend.name;
  return fmt::format("{} run {}{} --seed {}{}", program_name(), shell_quote(o.file), backend, seed,
                     o.faults.as_arguments());
}

std::filesystem::path default_shrink_out(const std::string& file, std::uint64_t seed) {
  return fmt::format("{}-shrunk-seed{}.yaml", std::filesystem::path(file).stem().string(), seed);
}

struct ShrinkReport {
  std::uint64_t seed = 0;
  ShrinkResult result;
  std::string file;
  bool verified = false;  // the written file, loaded and run, fails the same way
  std::string verify_failure;
};

ShrinkReport shrink_and_write(const Backend& backend, const SweepOptions& o, const scenario::Scenario& s,
                              std::uint64_t seed) {
  ShrinkReport report;
  report.seed = seed;
  BackendRunOptions options;
  options.seed = seed;
  options.apps = o.apps;
  options.digest = false;
  const std::string key = failure_key(backend.run(s, options));
  report.result = shrink_faults(backend, s, seed, key, o.apps);
  if (!report.result.reproduced) {
    return report;
  }
  const std::filesystem::path out =
      o.shrink_out ? std::filesystem::path(*o.shrink_out) : default_shrink_out(o.file, seed);
  const std::string comment =
      fmt::format("# Shrunk by `{} sweep --shrink` from {} (seed {}{}): {} fault(s) left of {}.\n", program_name(),
                  o.file, seed, o.faults.as_arguments(), report.result.faults_after, report.result.faults_before);
  write_scenario_with_faults(o.file, report.result.minimal, seed, out, comment);
  report.file = out.string();
  // The file is what a person will run: check it fails the same way on its own.
  BackendRunOptions rerun_options;
  rerun_options.apps = o.apps;
  rerun_options.digest = false;
  const RunSummary rerun = backend.run(scenario::load_scenario_file(out), rerun_options);
  report.verified = !rerun.passed() && failure_key(rerun) == key;
  report.verify_failure = first_failure(rerun);
  return report;
}

// The report: the sweep's overview, and the first failing seed run once more with a recorder.
void write_sweep_report(const Backend& backend, const std::string& path, const scenario::Scenario& s,
                        const std::string& summary_json, std::optional<std::uint64_t> first_failing_seed) {
  if (!first_failing_seed) {
    report::write_report(path, report::render_sweep_report(summary_json));
    return;
  }
  report::RunRecorder recorder(s);
  BackendRunOptions options;
  options.seed = *first_failing_seed;
  options.observers.push_back(&recorder);
  const RunSummary summary = backend.run(s, options);
  report::write_report(path, report::render_sweep_report(summary_json, {&summary, &recorder}));
}

int sweep(const SweepOptions& o) {
  scenario::Scenario s = scenario::load_scenario_file(o.file);
  apply_fault_overrides(s, o.faults);
  const SeedRange range = parse_seeds(o.seeds);
  const Shard shard = shard_from_environment();
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t seed = range.first;; ++seed) {
    if ((seed - range.first) % shard.total == shard.index) {
      seeds.push_back(seed);
    }
    if (seed == range.last) {
      break;
    }
  }
  const auto backend = make_available_backend(o.backend);
  const bool one_at_a_time = !backend->concurrent_runs();
  if (one_at_a_time && o.jobs > 1) {
    throw InputError(
        fmt::format("--jobs {}: the {} backend runs one seed at a time (leave --jobs out)", o.jobs, backend->name()));
  }
  const unsigned hardware = one_at_a_time ? 1u : std::max(1u, std::thread::hardware_concurrency());
  const unsigned jobs = static_cast<unsigned>(
      std::clamp<std::size_t>(o.jobs == 0 ? hardware : o.jobs, 1, std::max<std::size_t>(seeds.size(), 1)));
  const std::uint64_t all_seeds = range.last - range.first + 1;
  const std::string shard_text =
      shard.active ? fmt::format("shard {}/{} (GTEST_SHARD_INDEX={}, GTEST_TOTAL_SHARDS={}): {} of {} seeds",
                                 shard.index, shard.total, shard.index, shard.total, seeds.size(), all_seeds)
                   : "";
  fmt::print(stderr, "sweeping {} over seeds {}..{} ({} runs, {} jobs, backend {})\n", o.file, range.first, range.last,
             seeds.size(), jobs, backend->name());

  const std::vector<SeedResult> results = run_seeds(*backend, s, seeds, jobs, o.apps);
  for (const SeedResult& r : results) {
    if (!r.error.empty()) {
      throw InputError(r.error);
    }
  }
  std::vector<const SeedResult*> failures;
  for (const SeedResult& r : results) {
    if (!r.passed) {
      failures.push_back(&r);
    }
  }
  std::optional<ShrinkReport> shrunk;
  if (o.shrink && !failures.empty()) {
    shrunk = shrink_and_write(*backend, o, s, failures.front()->seed);
  }

  const std::size_t passed = results.size() - failures.size();
  if (o.junit) {
    // One testcase per seed, so a dashboard shows which seeds fail and how to rerun each.
    JunitSuite suite;
    suite.name = s.name + " sweep";
    for (const SeedResult& r : results) {
      JunitCase c;
      c.name = fmt::format("seed {}", r.seed);
      c.classname = fmt::format("tunlab.{}.sweep", s.name);
      if (!r.passed) {
        c.failure = r.failure;
        c.failure_text = repro_line(o, r.seed);
      }
      suite.cases.push_back(std::move(c));
    }
    write_junit(*o.junit, suite);
  }
  std::string summary_json;  // what --json prints, and what the report embeds
  {
    nlohmann::ordered_json j;
    j["scenario"] = s.name;
    j["file"] = o.file;
    j["first_seed"] = range.first;
    j["last_seed"] = range.last;
    j["shard"] = {{"index", shard.index}, {"total", shard.total}};
    j["seeds"] = results.size();
    j["passed"] = passed;
    j["failed"] = failures.size();
    j["failures"] = nlohmann::ordered_json::array();
    for (const SeedResult* r : failures) {
      j["failures"].push_back({{"seed", r->seed}, {"repro", repro_line(o, r->seed)}, {"first_failure", r->failure}});
    }
    if (shrunk) {
      j["shrunk"] = {{"seed", shrunk->seed},
                     {"reproduced", shrunk->result.reproduced},
                     {"file", shrunk->file},
                     {"faults_before", shrunk->result.faults_before},
                     {"faults", shrunk->result.faults_after},
                     {"runs", shrunk->result.runs},
                     {"verified", shrunk->verified},
                     {"first_failure", shrunk->verify_failure}};
    }
    summary_json = j.dump(2);
  }
  if (o.report_file) {
    write_sweep_report(*backend, *o.report_file, s, summary_json,
                       failures.empty() ? std::nullopt : std::optional(failures.front()->seed));
  }
  if (o.json) {
    fmt::print("{}\n", summary_json);
  } else {
    fmt::print("sweep {}: seeds {}..{}\n", s.name, range.first, range.last);
    if (shard.active) {
      fmt::print("{}\n", shard_text);
    }
    for (const SeedResult* r : failures) {
      fmt::print("FAIL seed {}: {}\n     first failure: {}\n", r->seed, repro_line(o, r->seed), r->failure);
    }
    fmt::print("{} seeds: {} passed, {} failed\n", results.size(), passed, failures.size());
    if (shrunk && !shrunk->result.reproduced) {
      fmt::print("shrink seed {}: the failure does not reproduce with the faults made targeted; nothing written\n",
                 shrunk->seed);
    } else if (shrunk) {
      fmt::print("shrink seed {}: {} fault(s) -> {} in {} runs\n", shrunk->seed, shrunk->result.faults_before,
                 shrunk->result.faults_after, shrunk->result.runs);
      fmt::print("  wrote {} ({} fault(s)); {} run {} {}\n", shrunk->file, shrunk->result.faults_after, program_name(),
                 shell_quote(shrunk->file), shrunk->verified ? "fails with:" : "DOES NOT FAIL THE SAME WAY:");
      fmt::print("  {}\n", shrunk->verify_failure.empty() ? "(passes)" : shrunk->verify_failure);
    }
  }
  if (shard.active && o.json) {
    fmt::print(stderr, "{}\n", shard_text);
  }
  return failures.empty() ? kExitOk : kExitFailed;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code, const AppRegistry& apps) {
  auto o = std::make_shared<SweepOptions>();
  o->apps = &apps;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep", "Run a scenario once per seed and report every failing seed with a line that reproduces it");
  sweep_cmd->add_option("scenario", o->file, "Scenario file (YAML)")->required();
  sweep_cmd->add_option("--seeds", o->seeds, "Seeds A..B (inclusive), e.g. 1..1000")->required();
  add_backend_option(*sweep_cmd, o->backend);
  sweep_cmd->add_option("--jobs", o->jobs, "Worker threads (default: one per CPU; the real backend: 1)")
      ->check(CLI::Range(1u, 1024u));
  sweep_cmd->add_flag("--json", o->json, "Print a JSON summary on stdout");
  sweep_cmd->add_option("--junit", o->junit, "Also write JUnit XML to FILE (one testcase per seed)");
  sweep_cmd->add_flag("--shrink", o->shrink,
                      "Shrink the first failing seed's faults to a minimal failing set and write it as a scenario");
  sweep_cmd->add_option("--shrink-out", o->shrink_out, "Where --shrink writes (default: SCENARIO-shrunk-seedN.yaml)");
  sweep_cmd->add_option("--report", o->report_file,
                        "Write a self-contained HTML report (failing seeds, failures by kind, the first failing run)");
  add_fault_options(*sweep_cmd, o->faults);
  sweep_cmd->footer(
      "Sharding: with GTEST_TOTAL_SHARDS and GTEST_SHARD_INDEX set, only seeds i with "
      "(i - A) % TOTAL == INDEX run.\nExit: 0 every seed passed, 1 a seed failed, 2 bad input.");
  sweep_cmd->callback([&exit_code, o] { exit_code = sweep(*o); });
}

}  // namespace tunlab::cli
