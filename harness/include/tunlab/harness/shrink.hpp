// Shrinking a failing seed: the random faults of the failing run become the concrete events they
// caused (drop packet 7 on wan.right, hold back packet 12, ...), and delta debugging (ddmin)
// finds a smallest set of those events that still fails the same way on the same seed. Written
// over Backend: on either backend the random link faults become targeted events (the real
// backend's wire lists what it did, as the simulator's links do); a backend that applies no link
// faults shrinks the fault settings it has (the device faults).
#pragma once

#include <cstdint>
#include <string>

#include "tunlab/harness/backend.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab {

// "NAME: expected X, seen Y" for the first failing expectation, or the first violated invariant;
// empty when the run passed.
std::string first_failure(const RunSummary& summary);
// What identifies a failure across runs: the expectation's name or "invariant".
std::string failure_key(const RunSummary& summary);

struct ShrinkResult {
  bool reproduced = false;        // the failure still shows with every fault made targeted
  scenario::Scenario minimal;     // the scenario with the smallest failing fault set
  std::size_t faults_before = 0;  // targeted events + fault settings the failing run had
  std::size_t faults_after = 0;
  std::size_t runs = 0;  // backend runs spent
  std::string failure;   // first_failure() of the minimal scenario's run
};

// Shrinks the faults of `scenario`, which fails on `seed` with `key` (failure_key) on `backend`.
ShrinkResult shrink_faults(const Backend& backend, const scenario::Scenario& scenario, std::uint64_t seed,
                           const std::string& key, const AppRegistry* apps = nullptr);

// Counts a scenario's faults the way the shrinker does: one per targeted packet event, one per
// probabilistic link fault kind, and one per device fault setting.
std::size_t count_faults(const scenario::Scenario& scenario);

}  // namespace tunlab
