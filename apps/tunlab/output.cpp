#include "output.hpp"

#include <fmt/format.h>

#include "commands.hpp"

namespace tunlab::cli {

void print_human(std::FILE* out, const RunSummary& s) {
  std::string drops;
  for (const auto& [reason, count] : s.dropped) {
    drops += fmt::format("{}{} {}", drops.empty() ? "" : ", ", reason, count);
  }
  fmt::print(out, "scenario {} ({}, seed {}): injected {}, delivered {}, dropped {}{}\n", s.scenario, s.backend, s.seed,
             s.injected, s.delivered, s.injected - s.delivered, drops.empty() ? "" : " (" + drops + ")");
  for (const ExpectationResult& r : s.expectations) {
    if (r.ok) {
      fmt::print(out, "  ok    {}: {}\n", r.name, r.seen);
    } else {
      fmt::print(out, "  FAIL  {} ({})\n        expected: {}\n        seen:     {}\n", r.name, r.place, r.expected,
                 r.seen);
    }
  }
  for (const std::string& violation : s.invariant_violations) {
    fmt::print(out, "  FAIL  invariant: {}\n", violation);
  }
  for (const auto& [name, path] : s.captures) {
    fmt::print(out, "  capture {}: {}\n", name, path);
  }
  fmt::print(out, "digest {}\n{}\n", s.digest.empty() ? "(not taken)" : s.digest, s.passed() ? "PASS" : "FAIL");
}

int exit_code_of(const RunSummary& s) {
  return s.passed() ? kExitOk : kExitFailed;
}

}  // namespace tunlab::cli
