// Builds a scenario's hosts, links, routes and tunnels in namespaces (see real_topology.hpp).
#include "tunlab/real/real_topology.hpp"
#include "tunlab/wire/routing_table.hpp"

#include <filesystem>
#include <stdexcept>

#include "tunlab/os/netlink.hpp"
#include "tunlab/scenario/input_error.hpp"

namespace tunlab::real {

namespace {

bool on_a_link(const scenario::Scenario& s, const std::string& host, const std::string& iface) {
  for (const auto& link : s.links) {
    if ((link.a.host == host && link.a.interface == iface) || (link.b.host == host && link.b.interface == iface)) {
      return true;
    }
  }
  return false;
}

// The prefix route the kernel adds with an address ("10.0.0.0/24 dev tun0"): the model lists it
// too sometimes, and adding it again would fail with EEXIST.
// `app: kernel-ipip`: the kernel's ipip device in place of the TUN device, with the tunnel's
// endpoints and TTL/TOS modes. Where the kernel has no ipip module, InputError with the reason
// (the root tests skip on it).
void make_kernel_ipip(const os::Netns& ns, const scenario::InterfaceSpec& iface, const scenario::TunnelSpec& t) {
  const std::uint8_t ttl = t.config.ttl_mode == TtlMode::inherit ? 0 : t.config.ttl;
  const std::uint8_t tos = t.config.tos_mode == TosMode::copy ? 1 : t.config.tos;
  try {
    os::ipip_link_create(ns, iface.name, t.config.local, t.config.remote, ttl, tos);
  } catch (const std::runtime_error& e) {
    const bool loaded = std::filesystem::exists("/sys/module/ipip");
    throw InputError(std::string("app: kernel-ipip on ") + t.host + ": kernel-ipip unavailable: " +
                     (loaded ? "" : "the kernel has no ipip module (no /sys/module/ipip, not loadable here); ") +
                     e.what());
  }
}

bool is_connected_route(const scenario::HostSpec& host, const scenario::RouteSpec& route) {
  if (route.via) {
    return false;
  }
  const auto* iface = scenario::find_interface(host, route.device);
  if (iface == nullptr || iface->prefix_length != route.prefix_length) {
    return false;
  }
  const std::uint32_t mask = prefix_mask(route.prefix_length);
  return (to_host_order(iface->address) & mask) == to_host_order(route.prefix);
}

}  // namespace

// The index of the link fault on the direction leaving `end`, if any.
std::optional<std::size_t> RealTopology::fault_from(const scenario::Scenario& s, const scenario::LinkEnd& end) {
  for (std::size_t i = 0; i < s.link_faults.size(); ++i) {
    if (s.link_faults[i].from.host == end.host && s.link_faults[i].from.interface == end.interface) {
      return i;
    }
  }
  return std::nullopt;
}

// A faulted link: A.x <-> wire "lNa", wire "lNb" <-> B.y, in the wire's own namespace, and a
// FaultWire between lNa and lNb with each direction's faults on its own named stream.
void RealTopology::build_wire(const scenario::Scenario& s, const scenario::LinkSpec& link,
                              std::optional<std::size_t> a_to_b, std::optional<std::size_t> b_to_a,
                              std::uint64_t seed) {
  if (!wire_ns_) {
    wire_ns_ = std::make_unique<os::Netns>("wire");
    os::disable_ipv6(*wire_ns_);
  }
  const std::string end_a = "l" + std::to_string(wires_.size()) + "a";
  const std::string end_b = "l" + std::to_string(wires_.size()) + "b";
  os::veth_create(ns(link.a.host), link.a.interface, *wire_ns_, end_a);
  os::veth_create(ns(link.b.host), link.b.interface, *wire_ns_, end_b);
  for (const std::string& end : {end_a, end_b}) {
    os::link_set_mtu(*wire_ns_, end, link.mtu);
    os::link_set_up(*wire_ns_, end, true);
  }
  disable_tx_offloads(ns(link.a.host), link.a.interface);
  disable_tx_offloads(ns(link.b.host), link.b.interface);
  const auto faults = [&](std::optional<std::size_t> index) {
    if (!index) {
      return LinkFaults();
    }
    const scenario::LinkFaultSpec& spec = s.link_faults[*index];
    return LinkFaults(spec, Random::derive(seed, LinkFaults::stream_name(spec.from)));
  };
  WireLink wire;
  wire.label = link.a.describe() + " <-> " + link.b.describe();
  wire.wire = std::make_unique<FaultWire>(*wire_ns_, end_a, end_b, faults(a_to_b), faults(b_to_a), link.mtu);
  if (a_to_b) {
    wire_of_fault_[*a_to_b] = {wires_.size(), 0};
  }
  if (b_to_a) {
    wire_of_fault_[*b_to_a] = {wires_.size(), 1};
  }
  wires_.push_back(std::move(wire));
}

RealTopology::RealTopology(const scenario::Scenario& s, const AppRegistry& apps, std::uint64_t seed) {
  for (const auto& host : s.hosts) {
    host_names_.push_back(host.name);
    auto ns = std::make_unique<os::Netns>(host.name);
    // Before any interface exists, so the "default" setting covers every one created later.
    os::disable_ipv6(*ns);
    // Every drop a kernel reports must be visible: no per-destination ICMP rate limit here.
    os::sysctl_write(*ns, "net/ipv4/icmp_ratelimit", "0");
    if (host.forwarding) {
      os::enable_forwarding(*ns);
    }
    namespaces_.emplace(host.name, std::move(ns));
  }
  for (const auto& link : s.links) {
    const std::optional<std::size_t> a_to_b = fault_from(s, link.a);
    const std::optional<std::size_t> b_to_a = fault_from(s, link.b);
    if (!a_to_b && !b_to_a) {
      os::veth_create(ns(link.a.host), link.a.interface, ns(link.b.host), link.b.interface);
    } else {
      build_wire(s, link, a_to_b, b_to_a, seed);
    }
    os::link_set_mtu(ns(link.a.host), link.a.interface, link.mtu);
    os::link_set_mtu(ns(link.b.host), link.b.interface, link.mtu);
  }
  for (const auto& host : s.hosts) {
    for (const auto& iface : host.interfaces) {
      if (iface.kind == scenario::InterfaceKind::ethernet && !on_a_link(s, host.name, iface.name)) {
        throw InputError(s.file.string() + ": interface " + host.name + "." + iface.name +
                         " is on no link; the real backend makes interfaces only as veth pairs");
      }
    }
    build_host_interfaces(host, s);
  }
  for (const auto& host : s.hosts) {
    add_routes(host);
  }
  for (WireLink& w : wires_) {
    w.wire->start();
  }
  for (const auto& spec : s.tunnels) {
    RealTunnel tunnel;
    tunnel.host = spec.host;
    if (!spec.command.empty()) {
      commands_.push_back({tunnels_.size(), spec.device, expand_tunnel_command(spec, s)});
      tunnels_.push_back(std::move(tunnel));
      continue;
    }
    if (spec.kernel_ipip) {
      tunnel.kernel_ipip = true;  // the device is the kernel's ipip link (build_host_interfaces)
      tunnels_.push_back(std::move(tunnel));
      continue;
    }
    tunnel.device = devices_.at(spec.host + "." + spec.device).get();
    if (const auto* faults = scenario::find_device_fault(s, spec.host, spec.device)) {
      tunnel.faulty = std::make_unique<FaultyDevice>(
          *tunnel.device, *faults, Random::derive(seed, FaultyDevice::stream_name(spec.host, spec.device)));
      tunnel.device = tunnel.faulty.get();
    }
    tunnel.underlay = os::run_in(ns(spec.host), [&] {
      return std::make_unique<os::RawIpipUnderlay>(
          os::RawIpipOptions{spec.config.local, spec.config.remote, os::PeerFilter::engine});
    });
    try {
      tunnel.app = apps.build(spec.app, AppEnvironment{spec.config, *tunnel.device, *tunnel.underlay, *tunnel.drops});
    } catch (const std::invalid_argument& e) {
      throw InputError((spec.app_place.empty() ? "" : spec.app_place + ": ") + "tunnels: " + e.what());
    }
    tunnels_.push_back(std::move(tunnel));
  }
}

void RealTopology::start_external(std::chrono::milliseconds timeout) {
  for (const Command& c : commands_) {
    RealTunnel& tunnel = tunnels_[c.tunnel];
    tunnel.external = std::make_unique<ExternalTunnel>(ns(tunnel.host), tunnel.host, c.device, c.line);
  }
  for (const Command& c : commands_) {
    tunnels_[c.tunnel].external->wait_attached(timeout);
  }
}

const scenario::TunnelSpec* RealTopology::outside_tunnel_on(const scenario::Scenario& s, const std::string& host,
                                                            const std::string& device) const {
  for (const auto& t : s.tunnels) {
    if (t.host == host && t.device == device && (!t.command.empty() || t.kernel_ipip)) {
      return &t;
    }
  }
  return nullptr;
}

RealTopology::~RealTopology() {
  // Programs and apps first (they use devices and underlays), then devices, then namespaces.
  stop_wires();
  tunnels_.clear();
  devices_.clear();
}

void RealTopology::stop_wires() {
  for (WireLink& w : wires_) {
    w.wire->stop();
  }
}

void RealTopology::build_host_interfaces(const scenario::HostSpec& host, const scenario::Scenario& s) {
  const os::Netns& here = ns(host.name);
  for (const auto& iface : host.interfaces) {
    const scenario::TunnelSpec* outside = outside_tunnel_on(s, host.name, iface.name);
    if (iface.kind == scenario::InterfaceKind::ethernet) {
      os::link_set_mtu(here, iface.name, iface.mtu);
      os::link_set_up(here, iface.name, true);
    } else if (outside != nullptr && outside->kernel_ipip) {
      make_kernel_ipip(here, iface, *outside);
      os::link_set_mtu(here, iface.name, iface.mtu);
      os::link_set_up(here, iface.name, true);
    } else if (outside != nullptr) {
      // The program attaches to it by name; until then it has no carrier.
      create_persistent_tun(here, iface.name, iface.kind == scenario::InterfaceKind::tap);
      os::link_set_mtu(here, iface.name, iface.mtu);
      os::link_set_up(here, iface.name, true);
      allow_local_source(here, iface.name);
    } else {
      auto device = os::run_in(here, [&] {
        os::TunOptions options;
        options.name = iface.name;
        options.kind = iface.kind == scenario::InterfaceKind::tap ? DeviceKind::tap : DeviceKind::tun;
        options.mtu = iface.mtu;
        return std::make_unique<os::TunDevice>(options);
      });
      devices_.emplace(host.name + "." + iface.name, std::move(device));
      if (const auto* faults = scenario::find_device_fault(s, host.name, iface.name)) {
        // queue_limit is the device's own property (faulty_device.hpp): the kernel's txqueuelen.
        os::link_set_txqueuelen(here, iface.name, faults->queue_limit);
      }
      // app B writes ICMP errors from the device's own address into it (frag-needed, relayed).
      allow_local_source(here, iface.name);
    }
    if (iface.prefix_length > 0 || to_host_order(iface.address) != 0) {
      os::address_add(here, iface.name, iface.address, iface.prefix_length);
    }
  }
}

void RealTopology::add_routes(const scenario::HostSpec& host) {
  for (const auto& route : host.routes) {
    if (is_connected_route(host, route)) {
      continue;  // the kernel added it with the address
    }
    os::route_add(ns(host.name), route.prefix, route.prefix_length, route.via,
                  route.device.empty() ? std::nullopt : std::optional<std::string>(route.device));
  }
}

}  // namespace tunlab::real
