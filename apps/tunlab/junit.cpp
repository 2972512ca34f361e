#include "junit.hpp"

#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"

namespace tunlab::cli {

namespace {

std::string utc_timestamp() {
  const time_t now = ::time(nullptr);
  tm utc{};
  ::gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  ::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  return text.data();
}

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name.data();
}

}  // namespace

JunitSuite junit_of_run(const RunSummary& summary) {
  JunitSuite suite;
  suite.name = summary.scenario;
  suite.seconds = static_cast<double>(summary.virtual_time_ns) / 1e9;
  const std::string classname = fmt::format("tunlab.{}.{}", summary.scenario, summary.backend);
  for (const ExpectationResult& r : summary.expectations) {
    JunitCase c;
    c.name = r.name;
    c.classname = classname;
    if (!r.ok) {
      c.failure = fmt::format("expected {}; seen {}", r.expected, r.seen);
      c.failure_text = r.place.empty() ? *c.failure : fmt::format("{}: {}", r.place, *c.failure);
    }
    suite.cases.push_back(std::move(c));
  }
  JunitCase invariants;
  invariants.name = "accounting invariants";
  invariants.classname = classname;
  if (!summary.invariant_violations.empty()) {
    invariants.failure = summary.invariant_violations.front();
    for (const std::string& v : summary.invariant_violations) {
      invariants.failure_text += v + "\n";
    }
  }
  suite.cases.push_back(std::move(invariants));
  return suite;
}

JunitSuite junit_of_error(const std::string& command, const std::string& message) {
  JunitSuite suite;
  suite.name = command.empty() ? "tunlab" : "tunlab " + command;
  JunitCase c;
  c.name = "input";
  c.classname = fmt::format("tunlab.{}", command.empty() ? "tunlab" : command);
  c.failure = message;
  c.failure_text = message;
  c.error = true;
  suite.cases.push_back(std::move(c));
  return suite;
}

std::string junit_xml(const JunitSuite& suite) {
  std::size_t failures = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;
  for (const JunitCase& c : suite.cases) {
    failures += c.failure && !c.error ? 1 : 0;
    errors += c.failure && c.error ? 1 : 0;
    skipped += !c.failure && c.skipped ? 1 : 0;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  xml += fmt::format(
      "  <testsuite name=\"{}\" package=\"tunlab\" id=\"0\" timestamp=\"{}\" hostname=\"{}\" tests=\"{}\" "
      "failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.6f}\">\n    <properties/>\n",
      safe_text::markup(suite.name), utc_timestamp(), safe_text::markup(host_name()), suite.cases.size(), failures,
      errors, skipped, suite.seconds);
  for (const JunitCase& c : suite.cases) {
    xml += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{:.6f}\"", safe_text::markup(c.name),
                       safe_text::markup(c.classname), c.seconds);
    if (c.failure) {
      const char* element = c.error ? "error" : "failure";
      xml += fmt::format(">\n      <{} message=\"{}\" type=\"{}\">{}</{}>\n    </testcase>\n", element,
                         safe_text::markup(*c.failure), c.error ? "input" : "expectation",
                         safe_text::markup(c.failure_text), element);
    } else if (c.skipped) {
      xml += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", safe_text::markup(*c.skipped));
    } else {
      xml += "/>\n";
    }
  }
  xml += "    <system-out/>\n    <system-err/>\n  </testsuite>\n</testsuites>\n";
  return xml;
}

void write_junit(const std::filesystem::path& path, const JunitSuite& suite) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << junit_xml(suite);
  out.close();
  if (!out) {
    throw InputError(fmt::format("--junit {}: cannot write: {}", path.string(), std::strerror(errno)));
  }
}

}  // namespace tunlab::cli
