#include "tunlab/sim/sim_backend.hpp"

#include <stdexcept>

#include "tunlab/sim/link.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/sim/scenario_runner.hpp"

namespace tunlab::sim {

namespace {

// What each faulty link direction did, packet by packet, in link_faults order.
void list_applied_link_faults(const scenario::Scenario& scenario, Network& network,
                              std::vector<AppliedLinkFault>& out) {
  out.clear();
  for (std::size_t i = 0; i < scenario.link_faults.size(); ++i) {
    Link* link = network.find_link(scenario.link_faults[i].from);
    const int side = link == nullptr ? -1 : link->side_of(scenario.link_faults[i].from);
    if (side < 0) {
      continue;
    }
    for (const LinkFaults::Event& event : link->fault_events(side)) {
      out.push_back({i, event.kind, event.packet});
    }
  }
}

}  // namespace

RunSummary SimBackend::run(const scenario::Scenario& scenario, const BackendRunOptions& options) const {
  RunOptions run;
  run.seed = options.seed;
  run.capture_dir = options.capture_dir;
  run.tracer = tracer_;
  run.observer = options.observer;
  run.apps = options.apps;
  run.digest = options.digest;
  run.programs = programs_;
  run.pre_run = [&options](Network& network) {
    for (const HopWatch& watch : options.watches) {
      const bool known = network.observe_hop(
          watch.label, [see = watch.see](Time, Direction direction, std::uint32_t origin, ByteView ip) {
            see(direction == Direction::out, origin, ip);
          });
      if (!known) {
        throw std::invalid_argument("hop watch: no interface '" + watch.label + "' in this scenario");
      }
    }
  };
  if (options.post_run || options.applied_link_faults != nullptr) {
    run.post_run = [&scenario, &options](Network& network, RunSummary& summary) {
      if (options.applied_link_faults != nullptr) {
        list_applied_link_faults(scenario, network, *options.applied_link_faults);
      }
      if (options.post_run) {
        options.post_run(summary);
      }
    };
  }
  return run_scenario(scenario, run);
}

}  // namespace tunlab::sim
