// tunlab sweep: the harness's seed sweep (tunlab/harness/sweep.hpp) on the chosen backend, with
// its progress on stderr and its result printed, as JSON or as lines, with a repro line per
// failing seed.
#include <errno.h>  // program_invocation_short_name
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "backend_choice.hpp"
#include "commands.hpp"
#include "fault_override.hpp"
#include "junit.hpp"
#include "tunlab/harness/sweep.hpp"
#include "tunlab/report/sweep_report.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/scenario/shell_quote.hpp"

namespace tunlab::cli {

namespace {

struct SweepCommandOptions {
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
  std::string app;
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

std::string program_name() {
  return program_invocation_short_name;
}

std::string repro_line(const SweepCommandOptions& o, std::uint64_t seed) {
  const std::string backend = o.backend.name == "sim" ? "" : " --backend " + o.backend.name;
  return fmt::format("{} run {}{} --seed {}{}", program_name(), shell_quote(o.file), backend, seed,
                     o.faults.as_arguments());
}

// The input is never overwritten: a shrunk scenario goes to a file of its own.
void refuse_overwriting_input(const std::filesystem::path& input, const std::filesystem::path& out) {
  std::error_code error;
  if (std::filesystem::equivalent(input, out, error)) {
    throw InputError(fmt::format("--shrink-out {}: that is the scenario being swept; give another file", out.string()));
  }
}

ShrunkSeed shrink_and_write(const Backend& backend, const SweepCommandOptions& o, const scenario::Scenario& s,
                            std::uint64_t seed) {
  ShrinkToFileOptions options;
  options.original = o.file;
  options.out = o.shrink_out ? std::filesystem::path(*o.shrink_out) : default_shrink_out(o.file, seed);
  refuse_overwriting_input(o.file, options.out);
  // One comment line whatever the file name holds: the terminal rule leaves no newline in it.
  options.comment = [&](const ShrinkResult& result) {
    return fmt::format("# Shrunk by `{} sweep --shrink` from {} (seed {}{}): {} fault(s) left of {}.\n",
                       safe_text::terminal(program_name()), safe_text::terminal(o.file), seed,
                       safe_text::terminal(o.faults.as_arguments()), result.faults_after, result.faults_before);
  };
  options.apps = o.apps;
  return shrink_seed_to_file(backend, s, seed, options);
}

// Text from the scenario, its file name or the command line, for a terminal (safe_text.hpp).
std::string t(std::string_view text) {
  return safe_text::terminal(text);
}

int sweep(const SweepCommandOptions& o) {
  scenario::Scenario s = scenario::load_scenario_file(o.file);
  apply_fault_overrides(s, o.faults);
  apply_app_option(s, o.app, *o.apps);
  if (o.shrink && o.shrink_out) {
    refuse_overwriting_input(o.file, *o.shrink_out);  // before any seed runs
  }
  tunlab::SweepOptions run;
  run.seeds = parse_seed_range(o.seeds);
  run.shard = shard_from_environment();
  run.apps = o.apps;
  check_sweep_size(run.seeds, run.shard);
  const auto seeds = static_cast<std::size_t>(shard_seed_count(run.seeds, run.shard));
  const auto backend = make_available_backend(o.backend);
  run.jobs = sweep_jobs(*backend, o.jobs, seeds);
  const std::uint64_t all_seeds = shard_seed_count(run.seeds, {});
  const std::string shard_text =
      run.shard.active
          ? fmt::format("shard {}/{} (GTEST_SHARD_INDEX={}, GTEST_TOTAL_SHARDS={}): {} of {} seeds", run.shard.index,
                        run.shard.total, run.shard.index, run.shard.total, seeds, all_seeds)
          : "";
  fmt::print(stderr, "sweeping {} over seeds {}..{} ({} runs, {} jobs, backend {})\n", t(o.file), run.seeds.first,
             run.seeds.last, seeds, run.jobs, backend->name());

  Progress progress(seeds, isatty(STDERR_FILENO) == 1);
  run.progress = [&progress](std::size_t done, std::size_t failed) { progress.update(done, failed); };
  std::optional<SweepResult> swept;
  try {
    swept = sweep_seeds(*backend, s, run);
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();
  const SweepResult& result = *swept;
  const std::vector<const SeedResult*> failures = result.failures();
  std::optional<ShrunkSeed> shrunk;
  if (o.shrink && !failures.empty()) {
    shrunk = shrink_and_write(*backend, o, s, failures.front()->seed);
  }

  const auto repro = [&o](std::uint64_t seed) { return repro_line(o, seed); };
  if (o.junit) {
    // One testcase per seed, so a dashboard shows which seeds fail and how to rerun each.
    JunitSuite suite;
    suite.name = s.name + " sweep";
    for (const SeedResult& r : result.results) {
      JunitCase c;
      c.name = fmt::format("seed {}", r.seed);
      c.classname = fmt::format("tunlab.{}.sweep", s.name);
      if (!r.passed) {
        c.failure = r.failure;
        c.failure_text = repro(r.seed);
      }
      suite.cases.push_back(std::move(c));
    }
    write_junit(*o.junit, suite);
  }
  const std::string summary_json = sweep_json(result, o.file, repro, shrunk ? &*shrunk : nullptr);
  if (o.report_file) {
    write_sweep_report(*backend, *o.report_file, s, result, summary_json, o.apps);
  }
  if (o.json) {
    fmt::print("{}\n", summary_json);
  } else {
    fmt::print("sweep {}: seeds {}..{}\n", t(s.name), run.seeds.first, run.seeds.last);
    if (run.shard.active) {
      fmt::print("{}\n", shard_text);
    }
    for (const SeedResult* r : failures) {
      fmt::print("FAIL seed {}: {}\n     first failure: {}\n", r->seed, t(repro(r->seed)), t(r->failure));
    }
    fmt::print("{} seeds: {} passed, {} failed\n", result.results.size(), result.passed(), failures.size());
    if (shrunk && !shrunk->result.reproduced) {
      fmt::print("shrink seed {}: the failure does not reproduce with the faults made targeted; nothing written\n",
                 shrunk->seed);
    } else if (shrunk) {
      fmt::print("shrink seed {}: {} fault(s) -> {} in {} runs\n", shrunk->seed, shrunk->result.faults_before,
                 shrunk->result.faults_after, shrunk->result.runs);
      fmt::print("  wrote {} ({} fault(s)); {} run {} {}\n", t(shrunk->file), shrunk->result.faults_after,
                 t(program_name()), t(shell_quote(shrunk->file)),
                 shrunk->verified ? "fails with:" : "DOES NOT FAIL THE SAME WAY:");
      fmt::print("  {}\n", shrunk->verify_failure.empty() ? "(passes)" : t(shrunk->verify_failure));
    }
  }
  if (run.shard.active && o.json) {
    fmt::print(stderr, "{}\n", shard_text);
  }
  return failures.empty() ? kExitOk : kExitFailed;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code, const AppRegistry& apps) {
  auto o = std::make_shared<SweepCommandOptions>();
  o->apps = &apps;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep", "Run a scenario once per seed and report every failing seed with a line that reproduces it");
  sweep_cmd->add_option("scenario", o->file, "Scenario file (YAML)")->required();
  sweep_cmd->add_option("--seeds", o->seeds, "Seeds A..B (inclusive), e.g. 1..1000")->required();
  add_backend_option(*sweep_cmd, o->backend);
  add_app_option(*sweep_cmd, o->app);
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
