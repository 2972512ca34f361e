// tunlab conform: the RFC conformance cases (harness/conform.hpp) against one tunnel. Parses,
// runs the library call and prints: the table, --json, --junit, --report.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "backend_choice.hpp"
#include "commands.hpp"
#include "junit.hpp"
#include "tunlab/harness/conform.hpp"
#include "tunlab/program/program_app.hpp"
#include "tunlab/report/conform_report.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/input_error.hpp"

namespace tunlab::cli {

namespace {

struct ConformCommandOptions {
  BackendChoice backend;
  std::string app;
  std::string command;
  std::string policy;
  std::optional<std::string> cases_dir;
  std::vector<std::string> only;
  std::vector<std::string> known_failures;
  bool json = false;
  std::optional<std::string> junit;
  std::optional<std::string> report_file;
};

JunitSuite junit_of_conformance(const conform::ConformResult& result) {
  JunitSuite suite;
  suite.name = fmt::format("conformance of {}", result.tunnel);
  const std::string classname = fmt::format("tunlab.conform.{}", result.backend);
  for (const conform::CaseResult& c : result.cases) {
    JunitCase j;
    j.name = fmt::format("{} §{} {} ({})", c.info.rfc, c.info.section, c.info.id, conform::to_string(c.info.level));
    j.classname = classname;
    if (c.summary) {
      j.seconds = static_cast<double>(c.summary->virtual_time_ns) / 1e9;
      suite.seconds += j.seconds;
    }
    std::string details;
    for (const std::string& d : c.details) {
      details += d + "\n";
    }
    if (c.outcome == conform::Outcome::fail) {
      j.failure = fmt::format("{}: {}", c.info.requirement, c.details.empty() ? "failed" : c.details.front());
      j.failure_text = details;
      if (result.known(c.info)) {  // declared: shown on the dashboard, not counted against the tunnel
        j.skipped = "known failure: " + *j.failure;
        j.failure.reset();
      }
    } else if (c.outcome == conform::Outcome::not_applicable) {
      j.skipped = c.details.empty() ? "not applicable" : c.details.front();
    }
    suite.cases.push_back(std::move(j));
  }
  return suite;
}

std::filesystem::path default_cases_dir() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  std::vector<std::filesystem::path> candidates;
  if (!error) {
    candidates.push_back(exe.parent_path().parent_path() / "share" / "tunlab" / "conformance");
  }
  candidates.emplace_back(TUNLAB_INSTALLED_CONFORMANCE_DIR);
  candidates.emplace_back(TUNLAB_SOURCE_CONFORMANCE_DIR);
  for (const auto& dir : candidates) {
    if (std::filesystem::is_directory(dir, error)) {
      return dir;
    }
  }
  throw InputError("conform: no conformance cases found (give --cases DIR)");
}

}  // namespace

void add_conform_command(CLI::App& app, int& exit_code, const AppRegistry& apps) {
  auto o = std::make_shared<ConformCommandOptions>();
  CLI::App* conform_cmd = app.add_subcommand(
      "conform", "Run the RFC conformance cases (RFC 2003, 6040, 1191, 6169) against one tunnel and print a table");
  add_backend_option(*conform_cmd, o->backend);
  auto* app_option = conform_cmd->add_option(
      "--app", o->app,
      "The app B under test, by registered name (default ipip; kernel-ipip: the kernel's device, real)");
  auto* command_option = conform_cmd->add_option(
      "--command", o->command, "The app B under test as a program (placeholders {dev} {local} {remote} {inner} {mtu})");
  app_option->excludes(command_option);
  conform_cmd->add_option("--policy", o->policy,
                          "What the tunnel declares: ttl=N|inherit,dscp=copy|N,ecn=normal|compat,df=copy|set "
                          "(default ttl=64,dscp=copy,ecn=normal,df=copy)");
  conform_cmd->add_option("--cases", o->cases_dir, "The folder of conformance cases (default: the installed ones)");
  conform_cmd->add_option("--case", o->only, "Run only this case (its id, the file's stem); may repeat");
  conform_cmd->add_option("--known-failure", o->known_failures,
                          "A case this tunnel is declared not to meet: shown, not fatal (its id); may repeat");
  conform_cmd->add_flag("--json", o->json, "Print the results as JSON on stdout");
  conform_cmd->add_option("--junit", o->junit, "Also write JUnit XML to FILE (one testcase per case)");
  conform_cmd->add_option("--report", o->report_file,
                          "Write an HTML report to FILE: the table, then each case's per-hop picture");
  conform_cmd->callback([&exit_code, &apps, o] {
    const conform::Policy policy = conform::parse_policy(o->policy.empty() ? "ttl=64" : o->policy);
    conform::TunnelUnderTest tunnel;
    if (!o->command.empty()) {
      tunnel.command = o->command;
    } else {
      tunnel = conform::tunnel_named(o->app.empty() ? std::string(AppRegistry::kDefaultApp) : o->app);
      if (!tunnel.kernel && apps.find(tunnel.app) == nullptr) {
        scenario::Scenario probe;
        probe.tunnels.emplace_back();
        conform::put_tunnel(probe, tunnel);
        conform::check_apps(probe, apps);
      }
    }
    std::vector<std::filesystem::path> cases =
        conform::case_files(o->cases_dir ? std::filesystem::path(*o->cases_dir) : default_cases_dir());
    for (const std::string& id : o->known_failures) {
      if (std::none_of(cases.begin(), cases.end(), [&](const auto& p) { return p.stem() == id; })) {
        throw InputError(fmt::format("--known-failure {}: no such case", id));
      }
    }
    if (!o->only.empty()) {
      std::vector<std::filesystem::path> chosen;
      for (const std::string& id : o->only) {
        const auto it = std::find_if(cases.begin(), cases.end(), [&](const auto& p) { return p.stem() == id; });
        if (it == cases.end()) {
          throw InputError(fmt::format("--case {}: no such case", id));
        }
        chosen.push_back(*it);
      }
      cases = std::move(chosen);
    }
    const auto backend = make_available_backend(o->backend);
    std::map<std::string, std::unique_ptr<scenario::Scenario>> scenarios;
    std::map<std::string, std::unique_ptr<report::RunRecorder>> recorders;
    conform::ConformOptions options;
    options.apps = &apps;
    options.tunnel_failed = [](const std::exception& e) {
      return dynamic_cast<const program::ProgramEnded*>(&e) != nullptr;
    };
    if (o->report_file) {
      // A recorder reads its scenario when the page is drawn, after the case's run: it gets a copy
      // that lives as long as it does.
      options.observe = [&recorders, &scenarios](const conform::CaseInfo& info, const scenario::Scenario& s) {
        auto& kept = scenarios[info.id];
        kept = std::make_unique<scenario::Scenario>(s);
        auto& recorder = recorders[info.id];
        recorder = std::make_unique<report::RunRecorder>(*kept);
        return std::vector<RunObserver*>{recorder.get()};
      };
    }
    conform::ConformResult result;
    try {
      result = conform::run_conformance(cases, tunnel, policy, *backend, options);
      result.known_failures = o->known_failures;
    } catch (const program::ProgramRefused& e) {
      throw InputError(e.what());
    }
    if (o->junit) {
      write_junit(*o->junit, junit_of_conformance(result));
    }
    if (o->report_file) {
      report::write_conform_report(*o->report_file, result, recorders);
    }
    if (o->json) {
      fmt::print("{}\n", result.to_json());
    } else {
      fmt::print("{}", result.table());
    }
    exit_code = result.musts_pass() ? kExitOk : kExitFailed;
  });
}

}  // namespace tunlab::cli
