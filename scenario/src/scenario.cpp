#include "tunlab/scenario/scenario.hpp"

#include <fmt/format.h>

namespace tunlab::scenario {

std::string SourcePlace::describe() const {
  if (line == 0) {
    return file.empty() ? std::string("<built-in>") : file;
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

bool HeaderMatch::empty() const {
  return !src && !dst && !protocol && !ttl && !tos && !ecn && !dscp && !df && !total_length && !dst_port &&
         !icmp_type && !icmp_code && !icmp_mtu;
}

Scenario seed_topology(std::size_t wan_mtu) {
  const Ipv4Address any("0.0.0.0");
  Scenario s;
  s.name = "seed";
  s.topology = "seed";

  HostSpec left{
      .name = "left",
      .forwarding = false,
      .interfaces = {{"eth0", InterfaceKind::ethernet, Ipv4Address("18.12.0.92"), 24, wan_mtu},
                     {"tun0", InterfaceKind::tun, Ipv4Address("10.0.0.12"), 24, 1500}},
      .routes = {{Ipv4Address("10.0.0.0"), 24, "tun0", std::nullopt}, {any, 0, "eth0", Ipv4Address("18.12.0.1")}},
      .udp_listen = {}};
  HostSpec wan{.name = "wan",
               .forwarding = true,
               .interfaces = {{"left", InterfaceKind::ethernet, Ipv4Address("18.12.0.1"), 24, wan_mtu},
                              {"right", InterfaceKind::ethernet, Ipv4Address("18.13.0.1"), 24, wan_mtu}},
               .routes = {},
               .udp_listen = {}};
  HostSpec right{
      .name = "right",
      .forwarding = false,
      .interfaces = {{"eth0", InterfaceKind::ethernet, Ipv4Address("18.13.0.91"), 24, wan_mtu},
                     {"tun0", InterfaceKind::tun, Ipv4Address("10.0.0.22"), 24, 1500}},
      .routes = {{Ipv4Address("10.0.0.0"), 24, "tun0", std::nullopt}, {any, 0, "eth0", Ipv4Address("18.13.0.1")}},
      .udp_listen = {}};
  s.hosts = {left, wan, right};

  s.links = {LinkSpec{.a = {"left", "eth0"}, .b = {"wan", "left"}, .mtu = wan_mtu},
             LinkSpec{.a = {"wan", "right"}, .b = {"right", "eth0"}, .mtu = wan_mtu}};

  TunnelConfig left_tunnel;
  left_tunnel.local = Ipv4Address("18.12.0.92");
  left_tunnel.remote = Ipv4Address("18.13.0.91");
  left_tunnel.inner_address = Ipv4Address("10.0.0.12");
  left_tunnel.underlay_mtu = wan_mtu;
  TunnelConfig right_tunnel = left_tunnel;
  right_tunnel.local = Ipv4Address("18.13.0.91");
  right_tunnel.remote = Ipv4Address("18.12.0.92");
  right_tunnel.inner_address = Ipv4Address("10.0.0.22");
  const std::string app(AppRegistry::kDefaultApp);
  s.tunnels = {{"left", "tun0", left_tunnel, app, "", "", false}, {"right", "tun0", right_tunnel, app, "", "", false}};
  return s;
}

const HostSpec* find_host(const Scenario& scenario, const std::string& name) {
  for (const HostSpec& host : scenario.hosts) {
    if (host.name == name) {
      return &host;
    }
  }
  return nullptr;
}

const DeviceFaultSpec* find_device_fault(const Scenario& scenario, const std::string& host, const std::string& device) {
  const DeviceFaultSpec* found = nullptr;
  for (const DeviceFaultSpec& fault : scenario.device_faults) {
    if (fault.host == host && fault.device == device) {
      found = &fault;
    }
  }
  return found;
}

const InterfaceSpec* find_interface(const HostSpec& host, const std::string& name) {
  for (const InterfaceSpec& iface : host.interfaces) {
    if (iface.name == name) {
      return &iface;
    }
  }
  return nullptr;
}

RoutingTable routing_table_of(const HostSpec& host) {
  RoutingTable table;
  for (std::size_t i = 0; i < host.interfaces.size(); ++i) {
    if (host.interfaces[i].prefix_length > 0) {
      table.add(host.interfaces[i].address, host.interfaces[i].prefix_length, i);
    }
  }
  for (const RouteSpec& route : host.routes) {
    for (std::size_t i = 0; i < host.interfaces.size(); ++i) {
      if (host.interfaces[i].name == route.device) {
        table.add(route.prefix, route.prefix_length, i, route.via);
        break;
      }
    }
  }
  return table;
}

const InterfaceSpec* egress_interface(const HostSpec& host, Ipv4Address dst) {
  // The table outlives the lookup: a route points into it.
  const RoutingTable table = routing_table_of(host);
  const Route* route = table.lookup(dst);
  return route == nullptr ? nullptr : &host.interfaces[route->interface];
}

}  // namespace tunlab::scenario
