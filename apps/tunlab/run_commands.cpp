// tunlab run | replay | check.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "backend_choice.hpp"
#include "commands.hpp"
#include "fault_override.hpp"
#include "junit.hpp"
#include "output.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/harness/backend.hpp"
#include "tunlab/harness/conform.hpp"
#include "tunlab/harness/replay_run.hpp"
#include "tunlab/harness/trace_printer.hpp"
#include "tunlab/program/program_app.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"
#include "tunlab/scenario/scenario_loader.hpp"

namespace tunlab::cli {

namespace {

struct CommonOptions {
  BackendChoice backend;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> capture_dir;
  bool json = false;
  std::optional<std::string> junit;
  bool trace = false;
  std::optional<std::string> report_file;
  bool no_digest = false;
  const AppRegistry* apps = nullptr;
  std::string app;  // --app: every tunnel runs this app B
};

void add_common(CLI::App& command, CommonOptions& o) {
  add_backend_option(command, o.backend);
  add_app_option(command, o.app);
  command.add_option("--seed", o.seed, "Seed for every random fault stream (default: the scenario's)");
  command.add_option("--capture", o.capture_dir, "Write one pcap per interface into DIR (HOST-IFACE.pcap)");
  command.add_flag("--json", o.json, "Print the JSON summary on stdout");
  command.add_option("--junit", o.junit, "Also write the result as JUnit XML to FILE (one testcase per expectation)");
  command.add_flag("--trace", o.trace, "Print every packet at every hop (stderr with --json)");
  command.add_flag("--no-digest", o.no_digest,
                   "Take no capture digest (pass or fail only): without --capture the simulator then records no "
                   "capture, about half of a big run's work");
  command.add_option("--report", o.report_file,
                     "Write a self-contained HTML report (topology, every hop, expectations, accounting) to FILE");
  // Hidden (empty group): holds a real run after setup until stdin has a line or closes.
  command.add_flag("--hold-after-setup", o.backend.hold_after_setup)->group("");
}

int report(const RunSummary& summary, const CommonOptions& o, const report::RunRecorder* recorder) {
  const std::string json = summary.to_json();
  if (o.junit) {
    write_junit(*o.junit, junit_of_run(summary));
  }
  if (o.report_file && recorder != nullptr) {
    report::write_report(*o.report_file, report::render_run_report(summary, json, *recorder));
  }
  if (o.json) {
    fmt::print("{}\n", json);
  } else {
    print_human(stdout, summary);
  }
  return exit_code_of(summary);
}

std::unique_ptr<report::RunRecorder> recorder_for(const scenario::Scenario& s, const CommonOptions& o) {
  return o.report_file ? std::make_unique<report::RunRecorder>(s) : nullptr;
}

// One run on the chosen backend, reported. `options` brings the command's own watches and checks.
int run_on_backend(const scenario::Scenario& s, const CommonOptions& o, BackendRunOptions options = {}) {
  const auto backend = make_available_backend(o.backend);
  options.seed = o.seed;
  options.apps = o.apps;
  options.digest = !o.no_digest;
  if (o.capture_dir) {
    options.capture_dir = *o.capture_dir;
  }
  const auto recorder = recorder_for(s, o);
  if (recorder) {
    options.observers.push_back(recorder.get());
  }
  // Every packet at every hop, on either backend; on stderr when stdout carries the JSON summary.
  TracePrinter trace(o.json ? stderr : stdout);
  if (o.trace) {
    options.observers.push_back(&trace);
  }
  try {
    return report(backend->run(s, options), o, recorder.get());
  } catch (const program::ProgramRefused& e) {
    throw InputError(e.what());  // one line, exit 2: the scenario asks for what cannot run here
  } catch (const program::ProgramEnded& e) {
    // The tunnel under test died or hung: the run failed, with the program's own words.
    fmt::print(stderr, "tunlab: {}\n", safe_text::terminal(e.what()));
    if (!e.output().empty()) {
      fmt::print(stderr, "--- its output ---\n{}{}", e.output(), e.output().back() == '\n' ? "" : "\n");
    }
    return kExitFailed;
  }
}

}  // namespace

void add_run_commands(CLI::App& app, int& exit_code, const AppRegistry& apps) {
  auto run_options = std::make_shared<CommonOptions>();
  run_options->apps = &apps;
  auto run_file = std::make_shared<std::string>();
  CLI::App* run = app.add_subcommand("run", "Run a scenario file and check its expectations");
  run->add_option("scenario", *run_file, "Scenario file (YAML)")->required();
  add_common(*run, *run_options);
  auto run_faults = std::make_shared<FaultOverrides>();
  add_fault_options(*run, *run_faults);
  run->callback([&exit_code, run_options, run_file, run_faults] {
    scenario::Scenario s = scenario::load_scenario_file(*run_file);
    apply_fault_overrides(s, *run_faults);
    apply_app_option(s, run_options->app, *run_options->apps);
    exit_code = run_on_backend(s, *run_options);
  });

  auto replay_options = std::make_shared<CommonOptions>();
  replay_options->apps = &apps;
  auto replay_file = std::make_shared<std::string>();
  auto replay_scenario = std::make_shared<std::string>();
  CLI::App* replay =
      app.add_subcommand("replay", "Replay a pcap's IPv4 packets as app A's traffic (seed topology unless --scenario)");
  replay->add_option("pcap", *replay_file, "pcap file: link type RAW, Ethernet or Linux SLL")->required();
  replay->add_option("--scenario", *replay_scenario, "Topology and expectations to replay into");
  add_common(*replay, *replay_options);
  replay->callback([&exit_code, replay_options, replay_file, replay_scenario] {
    const ReplayRun replay_run = make_replay_run(
        *replay_file,
        replay_scenario->empty() ? std::nullopt : std::optional(scenario::load_scenario_file(*replay_scenario)));
    BackendRunOptions options;
    replay_run.add_to(options);
    scenario::Scenario s = replay_run.scenario;
    apply_app_option(s, replay_options->app, *replay_options->apps);
    exit_code = run_on_backend(s, *replay_options, std::move(options));
  });

  auto check_file = std::make_shared<std::string>();
  CLI::App* check = app.add_subcommand("check", "Validate a scenario file without running it");
  check->add_option("scenario", *check_file, "Scenario file (YAML)")->required();
  // The apps `run` would accept: an unknown app name is bad input here too, not only once it runs.
  check->callback([&exit_code, check_file, &apps] {
    const scenario::Scenario s = scenario::load_scenario_file(*check_file);
    conform::check_apps(s, apps);
    fmt::print("{}: ok ({} hosts, {} links, {} tunnels, {} traffic items, {} expectations)\n",
               safe_text::terminal(*check_file), s.hosts.size(), s.links.size(), s.tunnels.size(), s.traffic.size(),
               s.expectations.size());
    exit_code = kExitOk;
  });
}

}  // namespace tunlab::cli
