// Any scenario topology in network namespaces, built generically from the model (not only the
// seed): one fd-held namespace per host; each link a veth pair whose ends carry the model's
// interface names and the link's MTU; addresses, routes (via/dev) and forwarding as written;
// TUN/TAP interfaces as os::TunDevice inside their host; each tunnel an app B (the scenario's `app`,
// built from an AppRegistry) over the device and an os::RawIpipUnderlay opened in the same namespace. IPv6 is disabled
// everywhere so captures and tun reads only carry what a scenario sent. Everything vanishes with this object or with
// the process (netns.hpp), so a SIGKILLed run leaves nothing behind.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/harness/faulty_device.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/os/raw_ipip_underlay.hpp"
#include "tunlab/os/tun_device.hpp"
#include "tunlab/real/external_tunnel.hpp"
#include "tunlab/real/fault_wire.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/drop_tally.hpp"

namespace tunlab::real {

// One tunnel's app B: built from the registry over an os::TunDevice and an os::RawIpipUnderlay (app,
// device and underlay set), or from outside tunlab: a program (`external`; the device is a
// persistent one it attaches to) or the kernel's ipip device (`kernel_ipip`); those have no app,
// device or underlay here, and report no drops or counters.
struct RealTunnel {
  std::string host;
  // What app B reads and writes: the os::TunDevice, or the FaultyDevice around it when the scenario
  // has device faults on it (eagain, read_buffer; see faulty_device.hpp).
  Device* device = nullptr;
  std::unique_ptr<FaultyDevice> faulty;
  std::unique_ptr<os::RawIpipUnderlay> underlay;
  std::unique_ptr<DropTally> drops = std::make_unique<DropTally>();  // the app's drops by reason
  std::unique_ptr<AppB> app;
  std::unique_ptr<ExternalTunnel> external;
  bool kernel_ipip = false;
};

class RealTopology {
public:
  // Builds everything; throws (tearing down what was built) on failure, InputError for model
  // features namespaces cannot express (an ethernet interface on no link).
  // Unknown app names throw InputError naming the scenario's place. Tunnel commands are started
  // here; start_and_wait_external() waits for them to attach.
  // `seed` is the run's seed: device faults draw from Random::derive(seed, "device:HOST.DEV"), as
  // in the simulator.
  RealTopology(const scenario::Scenario& scenario, const AppRegistry& apps, std::uint64_t seed);
  ~RealTopology();
  RealTopology(const RealTopology&) = delete;
  RealTopology& operator=(const RealTopology&) = delete;

  const os::Netns& ns(const std::string& host) const { return *namespaces_.at(host); }
  const std::vector<std::string>& host_names() const { return host_names_; }
  std::vector<RealTunnel>& tunnels() { return tunnels_; }
  // Starts every tunnel command and returns once each has attached to its device (throws with
  // the reason when one exits first or does not attach within `timeout`).
  void start_external(std::chrono::milliseconds timeout);

  // A link with faults on either direction runs through a user-space wire (fault_wire.hpp)
  // instead of one veth pair; links without faults stay plain veths.
  struct WireLink {
    std::string label;  // "left.eth0 <-> wan.left"
    std::unique_ptr<FaultWire> wire;
  };
  std::vector<WireLink>& wires() { return wires_; }
  // Which wire and direction carries the scenario's link_faults[index].
  struct WireDirection {
    std::size_t wire = 0;
    int direction = 0;
  };
  const std::map<std::size_t, WireDirection>& wire_of_fault() const { return wire_of_fault_; }
  // Stops every wire's thread (their logs and stats are final from then on).
  void stop_wires();

private:
  void build_host_interfaces(const scenario::HostSpec& host, const scenario::Scenario& scenario);
  const scenario::TunnelSpec* outside_tunnel_on(const scenario::Scenario& scenario, const std::string& host,
                                                const std::string& device) const;
  void add_routes(const scenario::HostSpec& host);
  static std::optional<std::size_t> fault_from(const scenario::Scenario& scenario, const scenario::LinkEnd& end);
  void build_wire(const scenario::Scenario& scenario, const scenario::LinkSpec& link, std::optional<std::size_t> a_to_b,
                  std::optional<std::size_t> b_to_a, std::uint64_t seed);

  std::vector<std::string> host_names_;
  std::map<std::string, std::unique_ptr<os::Netns>> namespaces_;
  std::unique_ptr<os::Netns> wire_ns_;  // the wires' ends, when a link has faults
  std::vector<WireLink> wires_;         // stopped before anything else goes
  std::map<std::size_t, WireDirection> wire_of_fault_;
  // Devices are keyed "host.iface"; apps point into them, so they are destroyed after.
  std::map<std::string, std::unique_ptr<os::TunDevice>> devices_;
  std::vector<RealTunnel> tunnels_;
  struct Command {
    std::size_t tunnel = 0;  // index into tunnels_
    std::string device;
    std::string line;  // placeholders filled in
  };
  std::vector<Command> commands_;
};

}  // namespace tunlab::real
