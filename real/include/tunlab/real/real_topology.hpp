// Any scenario topology in network namespaces, built generically from the model (not only the
// seed): one fd-held namespace per host; each link a veth pair whose ends carry the model's
// interface names and the link's MTU; addresses, routes (via/dev) and forwarding as written;
// TUN/TAP interfaces as TunDevice inside their host; each tunnel an app B (the scenario's `app`,
// built from an AppRegistry) over the device and a RawIpipUnderlay opened in the same namespace. IPv6 is disabled
// everywhere so captures and tun reads only carry what a scenario sent. Everything vanishes with this object or with
// the process (netns.hpp), so a SIGKILLed run leaves nothing behind.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tunlab/harness/scenario.hpp"
#include "tunlab/real/netns.hpp"
#include "tunlab/real/raw_ipip_underlay.hpp"
#include "tunlab/real/tun_device.hpp"
#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/drop_tally.hpp"

namespace tunlab::real {

struct RealTunnel {
  std::string host;
  TunDevice* device = nullptr;
  std::unique_ptr<RawIpipUnderlay> underlay;
  std::unique_ptr<DropTally> drops;  // the app's drops by reason
  std::unique_ptr<AppB> app;
};

class RealTopology {
public:
  // Builds everything; throws (tearing down what was built) on failure, InputError for model
  // features namespaces cannot express (an ethernet interface on no link).
  // Unknown app names throw InputError naming the scenario's place.
  RealTopology(const scenario::Scenario& scenario, const AppRegistry& apps);
  ~RealTopology();
  RealTopology(const RealTopology&) = delete;
  RealTopology& operator=(const RealTopology&) = delete;

  const Netns& ns(const std::string& host) const { return *namespaces_.at(host); }
  const std::vector<std::string>& host_names() const { return host_names_; }
  std::vector<RealTunnel>& tunnels() { return tunnels_; }

private:
  void build_host_interfaces(const scenario::HostSpec& host);
  void add_routes(const scenario::HostSpec& host);

  std::vector<std::string> host_names_;
  std::map<std::string, std::unique_ptr<Netns>> namespaces_;
  // Devices are keyed "host.iface"; apps point into them, so they are destroyed after.
  std::map<std::string, std::unique_ptr<TunDevice>> devices_;
  std::vector<RealTunnel> tunnels_;
};

}  // namespace tunlab::real
