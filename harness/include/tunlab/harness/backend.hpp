// Where a scenario runs: the simulator (sim/sim_backend.hpp) or real network namespaces
// (real/real_backend.hpp). `tunlab run`, `replay` and `sweep` (with its shrinking) are written once
// over this interface; what only one backend has (the simulator's per-hop trace, the real
// backend's notes) is given to that backend when it is made, not to each run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tunlab/harness/applied_fault.hpp"
#include "tunlab/harness/run_observer.hpp"
#include "tunlab/harness/run_result.hpp"
#include "tunlab/harness/scenario.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab {

// Every IPv4 packet seen on one interface ("right-tun0"), in the order the interface saw them.
// The simulator calls `see` as packets pass, with the injected packet each descends from; the
// real backend calls it after the run, from that interface's capture, with origin 0 (unknown).
struct HopWatch {
  std::string label;
  std::function<void(bool outgoing, std::uint32_t origin, ByteView ip)> see;
};

struct BackendRunOptions {
  std::optional<std::uint64_t> seed;  // default: the scenario's
  std::optional<std::filesystem::path> capture_dir;
  RunObserver* observer = nullptr;    // every hop and drop (the report), if set; not owned
  const AppRegistry* apps = nullptr;  // nullptr: the apps tunlab ships; not owned
  std::vector<HopWatch> watches;
  // If set, filled with every random link fault the run applied, by link_faults index and then
  // packet (what shrinking replays). The real backend applies no link faults: it leaves it empty.
  std::vector<AppliedLinkFault>* applied_link_faults = nullptr;
  // Runs after the run, before the summary is returned: a caller's extra expectations.
  std::function<void(RunSummary&)> post_run;
  // Whether the summary carries the captures' digest. A caller that only asks whether the run
  // passed (a sweep's seeds, shrinking, `--no-digest`) turns it off: the simulator then records
  // no capture unless capture_dir wants the files, which takes half its work off a big run; the
  // real backend still captures (its hop watches read the captures). The summary's digest is
  // empty then.
  bool digest = true;
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // Why this backend cannot run here (the real backend without privileges), or nullopt.
  virtual std::optional<std::string> unavailable() const = 0;
  // Whether runs may go on at the same time, on threads of one process (`sweep --jobs`). A backend
  // says so only when each run owns all its state; the default is one run at a time.
  virtual bool concurrent_runs() const { return false; }
  // Throws InputError for a scenario this backend cannot run; the summary's expectations and
  // invariants say whether the run met the scenario.
  virtual RunSummary run(const scenario::Scenario& scenario, const BackendRunOptions& options) const = 0;
};

}  // namespace tunlab
