#include "seed_model.hpp"

#include <stdexcept>
#include <string>

#include "tunlab/tunnel/tunnel_config.hpp"

namespace tunlab::test {

namespace {

scenario::InterfaceSpec& interface(scenario::Scenario& s, const std::string& host, const std::string& name) {
  for (scenario::HostSpec& h : s.hosts) {
    for (scenario::InterfaceSpec& iface : h.interfaces) {
      if (h.name == host && iface.name == name) {
        return iface;
      }
    }
  }
  throw std::logic_error("the seed has no interface " + host + "." + name);
}

// wan names its interfaces after the side they face, so `side` names both ends of its link.
void set_side_mtu(scenario::Scenario& s, const std::string& side, std::size_t link_mtu) {
  for (scenario::LinkSpec& link : s.links) {
    if (link.a.host == side || link.b.host == side) {
      link.mtu = link_mtu;
    }
  }
  interface(s, side, "eth0").mtu = link_mtu;
  interface(s, "wan", side).mtu = link_mtu;
  interface(s, side, "tun0").mtu = link_mtu - kOuterHeaderLength;
  for (scenario::TunnelSpec& tunnel : s.tunnels) {
    if (tunnel.host == side) {
      tunnel.config.underlay_mtu = link_mtu;
    }
  }
}

}  // namespace

scenario::Scenario seed_model(const SeedModelOptions& options) {
  scenario::Scenario s = scenario::seed_topology();
  set_side_mtu(s, "left", options.left_link_mtu);
  set_side_mtu(s, "right", options.right_link_mtu);
  if (!options.tunnels) {
    s.tunnels.clear();
  }
  return s;
}

scenario::Scenario seed_udp_line(std::uint32_t count, scenario::Nanos interval_ns) {
  scenario::Scenario s = scenario::seed_topology();
  scenario::TrafficSpec t;
  t.kind = scenario::TrafficKind::udp;
  t.from = "left";
  t.dst = Ipv4Address("10.0.0.22");
  t.count = count;
  t.interval_ns = interval_ns;
  s.traffic.push_back(t);
  return s;
}

}  // namespace tunlab::test
