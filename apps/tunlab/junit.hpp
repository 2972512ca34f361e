// --junit FILE: results as JUnit XML, the Ant/Jenkins format CI dashboards read (Jenkins, GitLab,
// GitHub test reporters). tests/junit/junit.xsd is the schema the tests validate it against.
// run and replay: one testcase per expectation (and one for the accounting invariants); sweep:
// one testcase per seed. A failure's message is "expected ...; seen ..." (or the seed's first
// failure), its text where the expectation is written or the line that reproduces the seed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/scenario/run_result.hpp"

namespace tunlab::cli {

struct JunitCase {
  std::string name;
  std::string classname;
  double seconds = 0;
  std::optional<std::string> failure;  // the message; none = passed
  std::string failure_text;            // detail under the message
  // Instead of a failure: not run, and why (a conformance case that does not apply).
  std::optional<std::string> skipped;
  // Instead of a failure: the run could not happen (bad input, exit 2); failure_text is the detail.
  bool error = false;
};

struct JunitSuite {
  std::string name;
  double seconds = 0;
  std::vector<JunitCase> cases;
};

// The testcases of one run: `classname` is "tunlab.SCENARIO.BACKEND".
JunitSuite junit_of_run(const RunSummary& summary);

// The whole document (<testsuites> with one <testsuite>), stamped with the wall-clock time and
// host name as the format requires.
std::string junit_xml(const JunitSuite& suite);

// The one testcase a command that ended on bad input (exit 2) writes, so that a CI dashboard
// shows the failure instead of a missing file: an <error> naming the input and what is wrong.
JunitSuite junit_of_error(const std::string& command, const std::string& message);

// Writes junit_xml(suite) to `path`; throws InputError when it cannot.
void write_junit(const std::filesystem::path& path, const JunitSuite& suite);

}  // namespace tunlab::cli
