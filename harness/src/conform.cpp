#include "tunlab/harness/conform.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"
#include "tunlab/scenario/scenario_loader.hpp"

namespace tunlab::conform {

namespace {

std::optional<unsigned> number_in(std::string_view text, unsigned max) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true") {
    out = true;
    return true;
  }
  if (text == "false") {
    out = false;
    return true;
  }
  return false;
}

// `{{outer_ttl 5}}` and its kin, filled in from the policy; `place` names the line for errors.
std::string placeholder_value(std::string_view body, const Policy& policy, const std::string& place) {
  const std::string text = trim(body);
  const auto space = text.find(' ');
  const std::string function = text.substr(0, space);
  const std::string argument = space == std::string::npos ? std::string() : trim(text.substr(space + 1));
  const auto fail = [&](std::string_view what) {
    throw InputError(fmt::format("{}: {{{{{}}}}}: {}", place, text, what));
  };
  if (function == "outer_ttl") {
    const auto ttl = number_in(argument, 255);
    if (!ttl) {
      fail("want an inner TTL 0..255, like {{outer_ttl 64}}");
    }
    return std::to_string(policy.outer_ttl(static_cast<std::uint8_t>(*ttl)));
  }
  if (function == "outer_ttl_after_router") {  // one router on the way decrements it
    const auto ttl = number_in(argument, 255);
    if (!ttl) {
      fail("want an inner TTL 0..255");
    }
    const unsigned outer = policy.outer_ttl(static_cast<std::uint8_t>(*ttl));
    return std::to_string(outer == 0 ? 0 : outer - 1);
  }
  if (function == "outer_dscp") {
    const auto dscp = number_in(argument, 63);
    if (!dscp) {
      fail("want an inner DSCP 0..63, like {{outer_dscp 46}}");
    }
    return std::to_string(policy.outer_dscp(static_cast<std::uint8_t>(*dscp)));
  }
  if (function == "outer_ecn") {
    const auto ecn = number_in(argument, 3);
    if (!ecn) {
      fail("want an inner ECN field 0..3, like {{outer_ecn 3}}");
    }
    return std::to_string(policy.outer_ecn(static_cast<std::uint8_t>(*ecn)));
  }
  if (function == "outer_df") {
    bool df = false;
    if (!parse_bool(argument, df)) {
      fail("want the inner DF, true or false");
    }
    return policy.outer_df(df) ? "true" : "false";
  }
  fail("unknown placeholder (known: outer_ttl N, outer_ttl_after_router N, outer_dscp N, outer_ecn N, outer_df B)");
  return {};
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("{}: cannot read", file.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool when_holds(const std::string& wanted, const std::string& actual) {
  if (wanted == actual) {
    return true;
  }
  // "fixed" stands for any number (ttl=32, dscp=10).
  return wanted == "fixed" && !actual.empty() &&
         std::all_of(actual.begin(), actual.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string Policy::value(std::string_view key) const {
  if (key == "ttl") {
    return ttl_mode == TtlMode::inherit ? "inherit" : std::to_string(ttl);
  }
  if (key == "dscp") {
    return dscp_copy ? "copy" : std::to_string(dscp);
  }
  if (key == "ecn") {
    return ecn == EcnMode::normal ? "normal" : "compat";
  }
  if (key == "df") {
    return df_set ? "set" : "copy";
  }
  return {};
}

std::string Policy::text() const {
  return fmt::format("ttl={},dscp={},ecn={},df={}", value("ttl"), value("dscp"), value("ecn"), value("df"));
}

void Policy::configure(TunnelConfig& config) const {
  config.ttl_mode = ttl_mode;
  config.ttl = ttl;
  config.tos_mode = dscp_copy ? TosMode::copy : TosMode::fixed;
  config.tos = dscp_copy ? 0 : static_cast<std::uint8_t>(dscp << 2);
  config.ecn_mode = ecn;
  config.pmtudisc = df_set;
}

Policy parse_policy(std::string_view text) {
  Policy policy;
  std::vector<std::string> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = trim(text.substr(start, comma - start));
    start = comma + 1;
    const auto fail = [&](std::string_view what) {
      throw InputError(fmt::format("--policy '{}': {}: {}", text, item, what));
    };
    const auto equals = item.find('=');
    if (equals == std::string::npos) {
      fail("want key=value (ttl=N|inherit, dscp=copy|N, ecn=normal|compat, df=copy|set)");
    }
    const std::string key = item.substr(0, equals);
    const std::string value = item.substr(equals + 1);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      fail("given twice");
    }
    seen.push_back(key);
    if (key == "ttl") {
      if (value == "inherit") {
        policy.ttl_mode = TtlMode::inherit;
      } else if (const auto ttl = number_in(value, 255); ttl && *ttl >= 1) {
        policy.ttl_mode = TtlMode::fixed;
        policy.ttl = static_cast<std::uint8_t>(*ttl);
      } else {
        fail("want 1..255 or inherit");
      }
    } else if (key == "dscp") {
      if (value == "copy") {
        policy.dscp_copy = true;
      } else if (const auto dscp = number_in(value, 63)) {
        policy.dscp_copy = false;
        policy.dscp = static_cast<std::uint8_t>(*dscp);
      } else {
        fail("want copy or a DSCP 0..63");
      }
    } else if (key == "ecn") {
      if (value == "normal" || value == "compat") {
        policy.ecn = value == "normal" ? EcnMode::normal : EcnMode::compat;
      } else {
        fail("want normal or compat (RFC 6040 §4.1)");
      }
    } else if (key == "df") {
      if (value == "copy" || value == "set") {
        policy.df_set = value == "set";
      } else {
        fail("want copy or set");
      }
    } else {
      fail("unknown key (known: ttl, dscp, ecn, df)");
    }
    if (comma == text.size()) {
      break;
    }
  }
  return policy;
}

std::string_view to_string(Level level) {
  switch (level) {
    case Level::must:
      return "MUST";
    case Level::should:
      return "SHOULD";
    case Level::may:
      return "MAY";
  }
  return "MUST";
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass:
      return "pass";
    case Outcome::fail:
      return "fail";
    case Outcome::not_applicable:
      return "not-applicable";
  }
  return "fail";
}

CaseText read_case(const std::filesystem::path& file, const Policy& policy) {
  const std::string text = read_text(file);
  // The metadata document ends at the first line that is "---".
  std::size_t line_start = 0;
  std::size_t separator = std::string::npos;
  std::size_t separator_line = 0;
  for (std::size_t line = 1; line_start < text.size(); ++line) {
    const std::size_t end = std::min(text.find('\n', line_start), text.size());
    if (trim(std::string_view(text).substr(line_start, end - line_start)) == "---") {
      separator = line_start;
      separator_line = line;
      break;
    }
    line_start = end + 1;
  }
  if (separator == std::string::npos) {
    throw InputError(fmt::format("{}: want a conform: document, a line '---', then the scenario", file.string()));
  }
  CaseText out;
  out.info.file = file;
  out.info.id = file.stem().string();
  YAML::Node meta;
  try {
    meta = YAML::Load(text.substr(0, separator));
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}:{}:{}: {}", file.string(), e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  const YAML::Node conform = meta.IsMap() ? meta["conform"] : YAML::Node();
  const auto field = [&](const char* key) -> std::string {
    const YAML::Node node = conform[key];
    if (!node || !node.IsScalar() || node.Scalar().empty()) {
      throw InputError(fmt::format("{}: conform.{}: required", file.string(), key));
    }
    return node.Scalar();
  };
  if (!conform || !conform.IsMap()) {
    throw InputError(fmt::format("{}:1:1: conform: required (rfc, section, level, requirement)", file.string()));
  }
  out.info.rfc = field("rfc");
  out.info.section = field("section");
  out.info.requirement = field("requirement");
  const std::string level = field("level");
  if (level == "MUST") {
    out.info.level = Level::must;
  } else if (level == "SHOULD") {
    out.info.level = Level::should;
  } else if (level == "MAY") {
    out.info.level = Level::may;
  } else {
    throw InputError(fmt::format("{}: conform.level: '{}': want MUST, SHOULD or MAY", file.string(), level));
  }
  if (const YAML::Node when = conform["when"]) {
    if (!when.IsMap()) {
      throw InputError(fmt::format("{}: conform.when: want a mapping of policy keys", file.string()));
    }
    for (const auto& entry : when) {
      const std::string key = entry.first.Scalar();
      if (Policy().value(key).empty()) {
        throw InputError(fmt::format("{}: conform.when.{}: not a policy key (ttl, dscp, ecn, df)", file.string(), key));
      }
      out.info.when[key] = entry.second.Scalar();
    }
  }
  // The scenario keeps its line numbers: every metadata line becomes an empty one.
  std::string scenario(separator_line, '\n');
  std::size_t line = separator_line + 1;
  for (std::size_t at = std::min(text.find('\n', separator), text.size()) + 1; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view rest = std::string_view(text).substr(at, end - at);
    std::size_t column = 1;  // of rest's first character in the file's line
    while (true) {
      const auto open = rest.find("{{");
      if (open == std::string_view::npos) {
        scenario += rest;
        break;
      }
      const auto close = rest.find("}}", open);
      const std::string place = fmt::format("{}:{}:{}", file.string(), line, column + open);
      if (close == std::string_view::npos) {
        throw InputError(fmt::format("{}: '{{{{' without '}}}}'", place));
      }
      scenario += rest.substr(0, open);
      scenario += placeholder_value(rest.substr(open + 2, close - open - 2), policy, place);
      column += close + 2;
      rest = rest.substr(close + 2);
    }
    scenario += '\n';
    at = end + 1;
    ++line;
  }
  out.scenario_text = std::move(scenario);
  return out;
}

std::vector<std::filesystem::path> case_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_regular_file() && it->path().extension() == ".yaml") {
      files.push_back(it->path());
    }
  }
  if (error) {
    throw InputError(fmt::format("{}: cannot read the conformance cases: {}", dir.string(), error.message()));
  }
  if (files.empty()) {
    throw InputError(fmt::format("{}: no conformance cases (*.yaml) here", dir.string()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TunnelUnderTest::label() const {
  if (kernel) {
    return "kernel ipip";
  }
  if (!command.empty()) {
    return fmt::format("command '{}'", command);
  }
  return fmt::format("app {}", app);
}

TunnelUnderTest tunnel_named(const std::string& app) {
  TunnelUnderTest tunnel;
  if (app == "kernel-ipip") {
    tunnel.kernel = true;
  }
  tunnel.app = app;
  return tunnel;
}

void put_tunnel(scenario::Scenario& s, const TunnelUnderTest& tunnel, const Policy* policy) {
  for (scenario::TunnelSpec& spec : s.tunnels) {
    spec.kernel_ipip = tunnel.kernel;
    spec.command = tunnel.command;
    spec.app = tunnel.command.empty() && !tunnel.kernel ? tunnel.app : std::string(AppRegistry::kDefaultApp);
    spec.app_place = tunnel.command.empty() ? "--app" : "";
    if (policy != nullptr) {
      policy->configure(spec.config);
    }
  }
}

void check_apps(const scenario::Scenario& s, const AppRegistry& apps) {
  for (const scenario::TunnelSpec& spec : s.tunnels) {
    if (!spec.command.empty() || spec.kernel_ipip || apps.find(spec.app) != nullptr) {
      continue;
    }
    std::string known;
    for (const std::string& name : apps.names()) {
      known += (known.empty() ? "" : ", ") + name;
    }
    throw InputError(fmt::format("{}tunnels: unknown app '{}' (known: {}, kernel-ipip)",
                                 spec.app_place.empty() ? "" : spec.app_place + ": ", spec.app, known));
  }
}

bool ConformResult::known(const CaseInfo& info) const {
  return std::find(known_failures.begin(), known_failures.end(), info.id) != known_failures.end();
}

bool ConformResult::musts_pass() const {
  return std::none_of(cases.begin(), cases.end(), [this](const CaseResult& c) {
    return c.info.level == Level::must && c.outcome == Outcome::fail && !known(c.info);
  });
}

std::size_t ConformResult::count(Outcome outcome) const {
  return static_cast<std::size_t>(
      std::count_if(cases.begin(), cases.end(), [outcome](const CaseResult& c) { return c.outcome == outcome; }));
}

std::string ConformResult::to_json() const {
  nlohmann::json json;
  json["tunnel"] = tunnel;
  json["backend"] = backend;
  json["policy"] = policy.text();
  json["passed"] = musts_pass();
  json["counts"] = {{"pass", count(Outcome::pass)},
                    {"fail", count(Outcome::fail)},
                    {"not-applicable", count(Outcome::not_applicable)}};
  nlohmann::json list = nlohmann::json::array();
  for (const CaseResult& c : cases) {
    list.push_back({{"id", c.info.id},
                    {"rfc", c.info.rfc},
                    {"section", c.info.section},
                    {"level", to_string(c.info.level)},
                    {"requirement", c.info.requirement},
                    {"result", to_string(c.outcome)},
                    {"known_failure", known(c.info)},
                    {"details", c.details}});
  }
  json["cases"] = std::move(list);
  return safe_text::dump_json(json, 2);
}

std::string ConformResult::verdict() const {
  const auto known_musts = std::count_if(cases.begin(), cases.end(), [this](const CaseResult& c) {
    return c.info.level == Level::must && c.outcome == Outcome::fail && known(c.info);
  });
  if (!musts_pass()) {
    return "a MUST failed";
  }
  return known_musts == 0
             ? "every MUST holds"
             : fmt::format("every MUST holds but {} known failure{}", known_musts, known_musts == 1 ? "" : "s");
}

std::string ConformResult::table() const {
  std::size_t id_width = 4;
  for (const CaseResult& c : cases) {
    id_width = std::max(id_width, c.info.id.size());
  }
  std::string out = fmt::format("conformance of {} ({}, policy {})\n", tunnel, backend, policy.text());
  out += fmt::format("{:<{}}  {:<17} {:<6}  {}\n", "case", id_width, "RFC", "level", "result");
  for (const CaseResult& c : cases) {
    const std::string rfc = fmt::format("{} §{}", c.info.rfc, c.info.section);
    // "§" is two bytes: pad by characters, not bytes.
    std::string outcome = c.outcome == Outcome::fail ? "FAIL" : std::string(to_string(c.outcome));
    if (known(c.info)) {
      outcome += c.outcome == Outcome::fail ? " (known)" : " (listed as a known failure)";
    }
    out += fmt::format("{:<{}}  {:<17} {:<6}  {}\n", c.info.id, id_width, rfc, to_string(c.info.level), outcome);
    for (const std::string& detail : c.details) {
      out += fmt::format("    {}\n", detail);
    }
  }
  out += fmt::format("{} pass, {} fail, {} not applicable: {}\n", count(Outcome::pass), count(Outcome::fail),
                     count(Outcome::not_applicable), verdict());
  return out;
}

ConformResult run_conformance(const std::vector<std::filesystem::path>& cases, const TunnelUnderTest& tunnel,
                              const Policy& policy, const Backend& backend, const ConformOptions& options) {
  ConformResult result;
  result.tunnel = tunnel.label();
  result.backend = std::string(backend.name());
  result.policy = policy;
  for (const std::filesystem::path& file : cases) {
    CaseText text = read_case(file, policy);
    CaseResult c;
    c.info = text.info;
    for (const auto& [key, wanted] : c.info.when) {
      if (!when_holds(wanted, policy.value(key))) {
        c.details.push_back(fmt::format("applies to {}={}; the policy has {}={}", key, wanted, key, policy.value(key)));
      }
    }
    scenario::Scenario s = scenario::load_scenario_text(text.scenario_text, file);
    if (backend.name() == "real" && !s.real) {
      c.details.push_back("simulator only: the real backend cannot set this case up (real: false)");
    }
    if (tunnel.kernel && backend.name() != "real") {
      c.details.push_back("the kernel's ipip device runs on the real backend only");
    }
    if (!c.details.empty()) {
      result.cases.push_back(std::move(c));
      continue;
    }
    put_tunnel(s, tunnel, &policy);
    if (options.apps != nullptr) {
      check_apps(s, *options.apps);
    }
    BackendRunOptions run;
    run.apps = options.apps;
    run.digest = false;
    if (options.observe) {
      run.observers = options.observe(c.info, s);
    }
    try {
      c.summary = backend.run(s, run);
    } catch (const InputError& e) {
      // The backend cannot run this case here: say why, never run something else.
      c.details.push_back(fmt::format("not run: {}", e.what()));
      result.cases.push_back(std::move(c));
      continue;
    } catch (const std::exception& e) {
      if (!options.tunnel_failed || !options.tunnel_failed(e)) {
        throw;
      }
      c.outcome = Outcome::fail;
      c.details.push_back(fmt::format("the tunnel failed: {}", e.what()));
      result.cases.push_back(std::move(c));
      continue;
    }
    c.outcome = c.summary->passed() ? Outcome::pass : Outcome::fail;
    for (const ExpectationResult& r : c.summary->expectations) {
      if (!r.ok) {
        c.details.push_back(fmt::format("{}: expected {}; seen {}", r.name, r.expected, r.seen));
      }
    }
    for (const std::string& v : c.summary->invariant_violations) {
      c.details.push_back("invariant: " + v);
    }
    result.cases.push_back(std::move(c));
  }
  return result;
}

}  // namespace tunlab::conform
