// The one way to watch a run, on either backend: every packet crossing an interface, every drop,
// in the order they happen, and the end of the run. The simulator calls observers from its hop
// and drop points as packets pass, the real backend from its captures once the run is over. The
// report, the per-hop trace (trace_printer.hpp) and replay's byte-for-byte check are observers;
// each keeps what it needs, nothing here stores hops.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Where a packet was dropped, as precisely as the backend knows it.
struct DropPlace {
  std::string host;       // always set: the host whose stack, device, tunnel or link end dropped it
  std::string interface;  // "wan-right" (HOST-IFACE) when an interface is known, else empty
  bool on_link = false;   // dropped on the link leaving `interface` (loss, queue, link down)
};

class RunObserver {
public:
  virtual ~RunObserver() = default;
  // The one interface (HOST-IFACE) whose hops this observer wants, or empty for every interface.
  // A backend calls hop() for that interface alone, so a watch on one interface costs the others
  // nothing, and refuses a run whose scenario has no such interface (check_hop_names).
  virtual std::string_view only_interface() const { return {}; }
  // `ip` (an IPv4 packet, link header removed) crossed interface `label` ("left-eth0") at
  // `at_ns` on the run's clock; `outgoing` = the interface's host sent it. `origin` is the
  // injected packet it descends from, 0 when unknown or the network's own (ICMP errors, replies).
  // Calls come in time order; `ip` is only valid during the call.
  virtual void hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView ip) = 0;
  // A packet of `origin` was dropped at `place` for `reason` (a name of drop_reason.hpp, or an
  // app B's own). `ip` may be empty when the dropping layer holds no IPv4 packet.
  virtual void drop(std::int64_t at_ns, const DropPlace& place, std::uint32_t origin, std::string_view reason,
                    ByteView ip) {
    (void)at_ns, (void)place, (void)origin, (void)reason, (void)ip;
  }
  // App B on `host` decided what to do with an ICMP error about its outer packet `quoted`:
  // "relayed", or why not (AppB's DropReporter::icmp_decision). The simulator reports them.
  virtual void icmp_decision(std::int64_t at_ns, const std::string& host, ByteView quoted, std::string_view decision) {
    (void)at_ns, (void)host, (void)quoted, (void)decision;
  }
  // The run is over: injected packet `origin` ended dropped for `reason`, exactly as the summary
  // counts it (a packet one copy of which was delivered is not dropped; a packet still waiting for
  // reassembly at the end is). Called once per such packet, in origin order, before run_ended, by
  // the backends that tag packets with their origin (the simulator).
  virtual void packet_dropped(std::uint32_t origin, std::string_view reason) { (void)origin, (void)reason; }
  // The run is over and the backend has judged the scenario's expectations: an observer that
  // checks something of its own adds its result (summary.expectations). Called once per run.
  virtual void run_ended(RunSummary& summary) { (void)summary; }
};

// The hop-name check of every backend: throws InputError naming the place of an expectation whose
// `hop`, or naming the observer's interface, when `known` says the run has no such interface.
void check_hop_names(const scenario::Scenario& scenario, const std::vector<RunObserver*>& observers,
                     const std::function<bool(const std::string& label)>& known);

}  // namespace tunlab
