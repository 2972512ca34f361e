// tunlab run | replay | check.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "fault_override.hpp"
#include "junit.hpp"
#include "output.hpp"
#include "tunlab/harness/capture.hpp"
#include "tunlab/harness/input_error.hpp"
#include "tunlab/harness/scenario_loader.hpp"
#include "tunlab/real/privileges.hpp"
#include "tunlab/real/scenario_runner.hpp"
#include "tunlab/sim/scenario_runner.hpp"

namespace tunlab::cli {

namespace {

struct CommonOptions {
  std::string backend = "sim";
  std::optional<std::uint64_t> seed;
  std::optional<std::string> capture_dir;
  bool json = false;
  std::optional<std::string> junit;
  bool trace = false;
  bool hold_after_setup = false;  // real only: print "ready", wait for stdin (the kill test)
  const AppRegistry* apps = nullptr;
};

void add_common(CLI::App& command, CommonOptions& o) {
  command.add_option("--backend", o.backend, "sim (default) or real (needs CAP_NET_ADMIN)")
      ->check(CLI::IsMember({"sim", "real"}));
  command.add_option("--seed", o.seed, "Seed for every random fault stream (default: the scenario's)");
  command.add_option("--capture", o.capture_dir, "Write one pcap per interface into DIR (HOST-IFACE.pcap)");
  command.add_flag("--json", o.json, "Print the JSON summary on stdout");
  command.add_option("--junit", o.junit, "Also write the result as JUnit XML to FILE (one testcase per expectation)");
  command.add_flag("--trace", o.trace, "Print every packet at every hop (stderr with --json)");
  // Hidden (empty group): holds a real run after setup until stdin has a line or closes.
  command.add_flag("--hold-after-setup", o.hold_after_setup)->group("");
}

// Replay's extra check: every pcap packet came out of right-tun0 towards right's stack, byte for
// byte and in order. `arrived` are the IPv4 packets right-tun0 handed the stack.
ExpectationResult replay_identical(const std::vector<PcapRecord>& records,
                                   const std::vector<const std::vector<std::uint8_t>*>& arrived) {
  std::size_t next = 0;
  std::size_t identical = 0;
  for (const PcapRecord& record : records) {
    for (std::size_t i = next; i < arrived.size(); ++i) {
      if (*arrived[i] == record.bytes) {
        ++identical;
        next = i + 1;
        break;
      }
    }
  }
  ExpectationResult r;
  r.name = "replayed packets byte-identical at right-tun0";
  r.ok = identical == records.size();
  r.expected = fmt::format("{} identical packets", records.size());
  r.seen = fmt::format("{} identical packets", identical);
  return r;
}

sim::Network::Tracer make_tracer(std::FILE* out) {
  return [out](sim::Time at, const std::string& label, sim::Direction direction, std::uint32_t origin, ByteView ip) {
    // "#3" is the third packet the scenario sent; "--" marks the network's own (ICMP errors,
    // echo replies), so one packet can be followed from hop to hop.
    const std::string who = origin == 0 ? std::string("--") : fmt::format("#{}", origin);
    fmt::print(out, "{:>10.6f}  {:<5} {:<11} {:<3} {}\n", static_cast<double>(at) / 1e9, who, label,
               direction == sim::Direction::in ? "in" : "out", sim::describe_packet(ip));
  };
}

int report(const RunSummary& summary, const CommonOptions& o) {
  if (o.junit) {
    write_junit(*o.junit, junit_of_run(summary));
  }
  if (o.json) {
    fmt::print("{}\n", summary.to_json());
  } else {
    print_human(stdout, summary);
  }
  return exit_code_of(summary);
}

int run_on_real(const scenario::Scenario& s, const CommonOptions& o, const real::RealRunOptions::PostRun& post_run) {
  if (const auto reason = real::privilege_skip_reason()) {
    throw InputError("--backend real: real backend unavailable: " + *reason);
  }
  real::RealRunOptions options;
  options.seed = o.seed;
  options.apps = o.apps;
  if (o.capture_dir) {
    options.capture_dir = *o.capture_dir;
  }
  options.note = [](const std::string& text) { fmt::print(stderr, "note: {}\n", text); };
  if (o.hold_after_setup) {
    options.after_setup = [] {
      fmt::print("ready\n");
      std::fflush(stdout);
      std::string line;
      std::getline(std::cin, line);
    };
  }
  options.post_run = post_run;
  return report(real::run_scenario_real(s, options), o);
}

int run_on_backend(const scenario::Scenario& s, const CommonOptions& o, const sim::RunOptions::PostRun& post_run,
                   const real::RealRunOptions::PostRun& real_post_run = {}) {
  if (o.backend == "real") {
    return run_on_real(s, o, real_post_run);
  }
  sim::RunOptions options;
  options.seed = o.seed;
  options.apps = o.apps;
  if (o.capture_dir) {
    options.capture_dir = *o.capture_dir;
  }
  if (o.trace) {
    options.tracer = make_tracer(o.json ? stderr : stdout);
  }
  options.post_run = post_run;
  return report(sim::run_scenario(s, options), o);
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
    exit_code = run_on_backend(s, *run_options, {});
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
    scenario::Scenario s =
        replay_scenario->empty() ? scenario::seed_topology() : scenario::load_scenario_file(*replay_scenario);
    if (replay_scenario->empty()) {
      s.name = "replay-" + std::filesystem::path(*replay_file).stem().string();
    }
    // Read first: a bad pcap is bad input (exit 2) before anything runs.
    const std::vector<PcapRecord> records = read_ipv4_pcap(*replay_file);
    scenario::TrafficSpec traffic;
    traffic.kind = scenario::TrafficKind::replay;
    traffic.from = "left";
    traffic.replay = *replay_file;
    s.traffic.push_back(traffic);
    const bool seed_topology = replay_scenario->empty();
    if (seed_topology) {
      scenario::Expectation all;
      all.kind = scenario::ExpectKind::delivered;
      all.name = "every replayed packet delivered";
      all.delivered = records.size();
      all.injected = records.size();
      s.expectations.push_back(all);
      scenario::Expectation hop;
      hop.kind = scenario::ExpectKind::hop;
      hop.name = "right-tun0 carries the replayed packets";
      hop.hop = "right-tun0";
      hop.at_least = records.size();
      s.expectations.push_back(hop);
    }
    // Each packet must reach right-tun0 byte for byte as it was in the pcap.
    auto post_run = [records, seed_topology](sim::Network& network, RunSummary& summary) {
      if (!seed_topology) {
        return;
      }
      std::vector<const std::vector<std::uint8_t>*> arrived;
      for (const auto& record : network.hop_records("right-tun0")) {
        if (record.direction == sim::Direction::in) {
          arrived.push_back(&record.bytes);
        }
      }
      summary.expectations.push_back(replay_identical(records, arrived));
    };
    // Real: the pcap's packets entered left's stack through app A's IP_HDRINCL socket.
    auto real_post_run = [records, seed_topology](const real::RealHops& hops, RunSummary& summary) {
      if (!seed_topology) {
        return;
      }
      std::vector<const std::vector<std::uint8_t>*> arrived;
      if (const auto it = hops.find("right-tun0"); it != hops.end()) {
        for (const auto& packet : it->second) {
          if (!packet.outgoing) {
            arrived.push_back(&packet.bytes);
          }
        }
      }
      summary.expectations.push_back(replay_identical(records, arrived));
    };
    exit_code = run_on_backend(s, *replay_options, post_run, real_post_run);
  });

  auto check_file = std::make_shared<std::string>();
  CLI::App* check = app.add_subcommand("check", "Validate a scenario file without running it");
  check->add_option("scenario", *check_file, "Scenario file (YAML)")->required();
  check->callback([&exit_code, check_file] {
    const scenario::Scenario s = scenario::load_scenario_file(*check_file);
    fmt::print("{}: ok ({} hosts, {} links, {} tunnels, {} traffic items, {} expectations)\n", *check_file,
               s.hosts.size(), s.links.size(), s.tunnels.size(), s.traffic.size(), s.expectations.size());
    exit_code = kExitOk;
  });
}

}  // namespace tunlab::cli
