// Where a scenario runs: the simulator (sim/sim_backend.hpp) or real network namespaces
// (real/real_backend.hpp). `tunlab run`, `replay` and `sweep` (with its shrinking) are written once
// over this interface, with one options struct that both backends' runners take as it is (theirs
// derive from it and add only their own hooks); what only one backend has (the real backend's
// notes) is given to that backend when it is made.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tunlab/harness/applied_fault.hpp"
#include "tunlab/harness/run_observer.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab {

// An observer of one interface from a function: every IPv4 packet seen on `label`
// ("right-tun0"), in the order the interface saw them. The simulator calls `see` as packets pass,
// with the injected packet each descends from; the real backend after the run, from that
// interface's capture, with origin 0 (unknown).
class HopWatch final : public RunObserver {
public:
  using See = std::function<void(bool outgoing, std::uint32_t origin, ByteView ip)>;
  HopWatch(std::string label, See see) : label_(std::move(label)), see_(std::move(see)) {}
  std::string_view only_interface() const override { return label_; }
  void hop(std::int64_t /*at_ns*/, const std::string& /*label*/, bool outgoing, std::uint32_t origin,
           ByteView ip) override {
    see_(outgoing, origin, ip);
  }

private:
  std::string label_;
  See see_;
};

struct BackendRunOptions {
  std::optional<std::uint64_t> seed;  // default: the scenario's
  std::optional<std::filesystem::path> capture_dir;
  // Everything that watches the run (the report, the trace, hop watches, replay's check), in
  // the order they are called; not owned, they outlive the run.
  std::vector<RunObserver*> observers;
  const AppRegistry* apps = nullptr;  // nullptr: the apps tunlab ships; not owned
  // If set, filled with every random link fault the run applied, by link_faults index and then
  // packet (what shrinking replays): the simulator's links and the real backend's wires
  // (real/fault_wire.hpp) both list theirs.
  std::vector<AppliedLinkFault>* applied_link_faults = nullptr;
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
