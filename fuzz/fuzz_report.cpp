// What tunlab writes for people and programs, from arbitrary scenario text and names: the input is
// a file name (its first byte says how long) and scenario YAML; the name is also laid over the
// description and the first expectation's name, so any bytes reach every writer. A scenario that
// loads is run in the simulator with the report's recorder (when it is small: at most 64 packets,
// no replay, no `command:`), then written as the run report, the sweep report, JUnit, JSON and
// the terminal's lines. Oracles, the rules of tunlab/scenario/safe_text.hpp:
//   - JSON (the summary, the sweep summary) parses strictly (valid UTF-8);
//   - the report's data block parses, holds no "<!--", "<script" or "</", and the page has one
//     data block and nothing of the data in its <title>; the page is at most 64 MiB;
//   - JUnit is valid UTF-8 without a character XML cannot carry, every '<' starts one of the
//     writer's own tags and every '&' an entity;
//   - the terminal lines hold no control byte but '\n', and are valid UTF-8.
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "junit.hpp"
#include "output.hpp"
#include "tunlab/harness/sweep.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/sim_backend.hpp"

using namespace tunlab;

namespace {

void json_parses(const std::string& text, const char* what) {
  if (!nlohmann::json::accept(text)) {
    fuzz::oracle_failed(what);
  }
}

void report_ok(const std::string& html) {
  if (html.size() > (64u << 20)) {
    fuzz::oracle_failed("report: larger than 64 MiB");
  }
  constexpr std::string_view kOpen = R"(<script type="application/json" id="tunlab-data">)";
  const std::size_t open = html.find(kOpen);
  if (open == std::string::npos || html.find(kOpen, open + 1) != std::string::npos) {
    fuzz::oracle_failed("report: not exactly one data block");
  }
  const std::size_t begin = open + kOpen.size();
  const std::size_t end = html.find("</script>", begin);
  if (end == std::string::npos) {
    fuzz::oracle_failed("report: the data block is not closed");
  }
  const std::string data = html.substr(begin, end - begin);
  for (const char* bad : {"<!--", "<script", "<SCRIPT", "</"}) {
    if (data.find(bad) != std::string::npos) {
      fuzz::oracle_failed("report: markup in the data block");
    }
  }
  json_parses(data, "report: the data block is not JSON");
  const std::size_t title = html.find("<title>");
  const std::size_t title_end = html.find("</title>");
  if (title == std::string::npos || title_end == std::string::npos || title_end > open ||
      html.substr(title, title_end - title).find('{') != std::string::npos) {
    fuzz::oracle_failed("report: the title is broken or holds data");
  }
}

void junit_ok(const std::string& xml) {
  if (!safe_text::valid_utf8(xml)) {
    fuzz::oracle_failed("junit: not UTF-8");
  }
  static constexpr std::string_view kTags[] = {"<?xml ",       "<testsuites>",  "</testsuites>", "<testsuite ",
                                               "</testsuite>", "<properties/>", "<testcase ",    "</testcase>",
                                               "<failure ",    "</failure>",    "<system-out/>", "<system-err/>"};
  static constexpr std::string_view kEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
  for (std::size_t i = 0; i < xml.size(); ++i) {
    const auto c = static_cast<unsigned char>(xml[i]);
    const std::string_view rest = std::string_view(xml).substr(i);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      fuzz::oracle_failed("junit: a control character");
    }
    if (c == 0xef && rest.size() >= 3 && static_cast<unsigned char>(rest[1]) == 0xbf &&
        static_cast<unsigned char>(rest[2]) >= 0xbe) {
      fuzz::oracle_failed("junit: U+FFFE or U+FFFF");
    }
    if (c == '<' && std::none_of(std::begin(kTags), std::end(kTags),
                                 [&](std::string_view tag) { return rest.substr(0, tag.size()) == tag; })) {
      fuzz::oracle_failed("junit: a '<' that starts no tag of the writer");
    }
    if (c == '&' && std::none_of(std::begin(kEntities), std::end(kEntities),
                                 [&](std::string_view e) { return rest.substr(0, e.size()) == e; })) {
      fuzz::oracle_failed("junit: a bare '&'");
    }
  }
}

void terminal_ok(const RunSummary& summary) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  if (out == nullptr) {
    return;
  }
  cli::print_human(out, summary);
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  if (!safe_text::valid_utf8(text)) {
    fuzz::oracle_failed("terminal: not UTF-8");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0;
    if ((c < 0x20 && c != '\n') || c == 0x7f || c1) {
      fuzz::oracle_failed("terminal: a control byte");
    }
  }
}

bool small_enough(const scenario::Scenario& s) {
  std::uint64_t packets = 0;
  for (const scenario::TrafficSpec& t : s.traffic) {
    if (t.kind == scenario::TrafficKind::replay) {
      return false;
    }
    packets += t.count;
  }
  for (const scenario::TunnelSpec& t : s.tunnels) {
    if (!t.command.empty()) {
      return false;
    }
  }
  for (const scenario::DeviceFaultSpec& d : s.device_faults) {
    if (d.eagain > 0.5) {
      return false;  // reads that (almost) never succeed run into the events bound: seconds
    }
  }
  return packets <= 64;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const auto name_bytes = in.take(in.byte() % 64);
  const std::string name(name_bytes.begin(), name_bytes.end());
  const auto rest = in.rest();
  const std::string text(rest.begin(), rest.end());
  scenario::Scenario s;
  try {
    s = scenario::load_scenario_text(text, name.empty() ? "fuzz.yaml" : name + "/fuzz.yaml");
  } catch (const InputError&) {
    return 0;
  }
  s.description = name;
  if (!s.expectations.empty()) {
    s.expectations.front().name = name;
  }
  if (!small_enough(s)) {
    return 0;
  }
  report::RunRecorder recorder(s);
  BackendRunOptions options;
  options.observers.push_back(&recorder);
  options.digest = false;
  RunSummary summary;
  try {
    summary = sim::SimBackend().run(s, options);
  } catch (const InputError&) {
    return 0;
  }
  const std::string json = summary.to_json();
  json_parses(json, "summary JSON does not parse");
  report_ok(report::render_run_report(summary, json, recorder));
  junit_ok(cli::junit_xml(cli::junit_of_run(summary)));
  terminal_ok(summary);

  SweepResult swept;
  swept.scenario = s.name;
  swept.seeds = {summary.seed, summary.seed};
  SeedResult seed;
  seed.seed = summary.seed;
  seed.passed = summary.passed();
  seed.failure = first_failure(summary);
  swept.results.push_back(seed);
  const std::string sweep_json_text = sweep_json(
      swept, name, [&](std::uint64_t n) { return name + " --seed " + std::to_string(n); }, nullptr);
  json_parses(sweep_json_text, "sweep JSON does not parse");
  report_ok(report::render_sweep_report(sweep_json_text, {&summary, &recorder}));
  return 0;
}
