// Runs a scenario on the real backend: the scenario's topology in fd-held network namespaces
// (real_topology.hpp), app sockets per host (real_apps.hpp), AF_PACKET captures on every
// interface (packet_capture.hpp) and one TunnelEngine per tunnel, all driven by an os::EpollDriver.
// Traffic times become offsets on CLOCK_MONOTONIC from the start; the run ends when every
// injected packet is accounted for as far as the kernel lets us observe, or a bounded time after
// the last send. Observations are filled like the simulator's, so the same expectations judge it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/harness/backend.hpp"
#include "tunlab/harness/run_observer.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::real {

// One IPv4 packet seen on an interface; outgoing = the host sent it out of that interface
// (the simulator's Direction::out).
struct RealHopPacket {
  std::int64_t at_ns = 0;  // capture time, from the run's start
  bool outgoing = false;
  std::vector<std::uint8_t> bytes;
};
using RealHops = std::map<std::string, std::vector<RealHopPacket>>;  // "left-eth0" -> packets

// The options of every backend's run (BackendRunOptions: the seed, from which device faults draw
// as in the simulator, nothing else in real mode being random; captures; observers, which see
// every captured packet after the run; apps; the digest, which when off leaves the summary's
// digest empty while the captures are still taken, since expectations read them), and the real
// backend's own.
struct RealRunOptions : BackendRunOptions {
  // How long to wait after the last send for packets still unaccounted for.
  std::chrono::nanoseconds settle_timeout = std::chrono::seconds(2);
  // Called once the namespaces, tunnels, sockets and captures exist, before any traffic
  // (the CLI's hidden --hold-after-setup waits there for the kill test).
  std::function<void()> after_setup;
  // Remarks about what real mode cannot reproduce (ignored link delays...), one line each.
  std::function<void(const std::string&)> note;
};

// Throws InputError ("scenario X is sim-only: faults need netem (...)") for what veths cannot do
// without netem on this kernel: link changes, rate and queue limits; for a link fault on no link;
// and for eagain/read_buffer on a device tunlab's app B does not read. Link faults run through
// the user-space wire (fault_wire.hpp), device faults on the device itself.
void check_real_capable(const scenario::Scenario& scenario);

// Needs CAP_NET_ADMIN/CAP_SYS_ADMIN (see privileges.hpp); throws std::runtime_error otherwise.
RunSummary run_scenario_real(const scenario::Scenario& scenario, const RealRunOptions& options);

}  // namespace tunlab::real
