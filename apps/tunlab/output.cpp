#include "output.hpp"

#include <fmt/format.h>

#include "commands.hpp"
#include "tunlab/scenario/safe_text.hpp"

namespace tunlab::cli {

// Every text from the scenario or the run (names, places, what was seen) by the terminal rule
// (safe_text.hpp): a name cannot move the cursor, clear the screen or print a line of its own.
void print_human(std::FILE* out, const RunSummary& s) {
  const auto t = [](std::string_view text) { return safe_text::terminal(text); };
  std::string drops;
  for (const auto& [reason, count] : s.dropped) {
    drops += fmt::format("{}{} {}", drops.empty() ? "" : ", ", t(reason), count);
  }
  fmt::print(out, "scenario {} ({}, seed {}): injected {}, delivered {}, dropped {}{}\n", t(s.scenario), t(s.backend),
             s.seed, s.injected, s.delivered, s.injected - s.delivered, drops.empty() ? "" : " (" + drops + ")");
  for (const ExpectationResult& r : s.expectations) {
    if (r.ok) {
      fmt::print(out, "  ok    {}: {}\n", t(r.name), t(r.seen));
    } else {
      fmt::print(out, "  FAIL  {} ({})\n        expected: {}\n        seen:     {}\n", t(r.name), t(r.place),
                 t(r.expected), t(r.seen));
    }
  }
  for (const std::string& violation : s.invariant_violations) {
    fmt::print(out, "  FAIL  invariant: {}\n", t(violation));
  }
  for (const auto& [name, path] : s.captures) {
    fmt::print(out, "  capture {}: {}\n", t(name), t(path));
  }
  fmt::print(out, "digest {}\n{}\n", s.digest.empty() ? "(not taken)" : t(s.digest), s.passed() ? "PASS" : "FAIL");
}

int exit_code_of(const RunSummary& s) {
  return s.passed() ? kExitOk : kExitFailed;
}

}  // namespace tunlab::cli
