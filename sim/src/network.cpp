#include "tunlab/sim/network.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/scenario/tunnel_command.hpp"
#include "tunlab/wire/tcp_offload.hpp"

namespace tunlab::sim {

Network::Network(std::uint64_t seed) : seed_(seed) {}
Network::~Network() = default;

Host& Network::add_host(const std::string& name, bool forwarding) {
  hosts_.push_back(std::make_unique<Host>(*this, name, hosts_.size(), forwarding));
  return *hosts_.back();
}

Host* Network::find_host(const std::string& name) {
  for (auto& host : hosts_) {
    if (host->name() == name) {
      return host.get();
    }
  }
  return nullptr;
}

Host& Network::host(const std::string& name) {
  Host* found = find_host(name);
  if (found == nullptr) {
    throw InputError("no host named '" + name + "'");
  }
  return *found;
}

namespace {
std::size_t interface_index(Host& host, const std::string& name) {
  auto index = host.find_interface(name);
  if (!index) {
    throw InputError("host '" + host.name() + "' has no interface '" + name + "'");
  }
  return *index;
}
}  // namespace

Link& Network::add_link(const scenario::LinkSpec& spec) {
  Host& a = host(spec.a.host);
  Host& b = host(spec.b.host);
  const std::size_t ia = interface_index(a, spec.a.interface);
  const std::size_t ib = interface_index(b, spec.b.interface);
  links_.push_back(std::make_unique<Link>(*this, Link::End{&a, ia}, Link::End{&b, ib}, spec));
  Link& link = *links_.back();
  a.interface(ia).link = &link;
  a.interface(ia).link_side = 0;
  b.interface(ib).link = &link;
  b.interface(ib).link_side = 1;
  return link;
}

Link* Network::find_link(const scenario::LinkEnd& end) {
  Host* h = find_host(end.host);
  if (h == nullptr) {
    return nullptr;
  }
  auto index = h->find_interface(end.interface);
  return index ? h->interface(*index).link : nullptr;
}

SimDevice& Network::add_device(Host& host, std::size_t interface, DeviceKind kind) {
  devices_.push_back(std::make_unique<SimDevice>(*this, host, interface, kind));
  host.interface(interface).device = devices_.back().get();
  return *devices_.back();
}

SimDevice* Network::find_device(const std::string& host_name, const std::string& device) {
  Host* h = find_host(host_name);
  if (h == nullptr) {
    return nullptr;
  }
  auto index = h->find_interface(device);
  return index ? h->interface(*index).device : nullptr;
}

// An app B on a host: the app, where it reports drops (the accounting, by the packet's origin),
// and the timer the driver keeps for it.
struct Network::HostedApp final : DropReporter {
  explicit HostedApp(Network& n, std::string h) : network(n), host(std::move(h)) {}
  void dropped(const Packet& packet, std::string_view reason) override {
    network.dropped(packet, reason, network.host(host));
  }
  void icmp_decision(ByteView quoted, std::string_view decision) override {
    for (RunObserver* observer : network.observers_) {
      observer->icmp_decision(network.now(), host, quoted, decision);
    }
  }
  Network& network;
  std::string host;
  std::unique_ptr<FaultyDevice> faulty;  // around the SimDevice when the scenario has device faults
  std::unique_ptr<AppB> app;             // destroyed first: it holds a reference to the device
  Time timer_at = AppB::kNoDeadline;     // the deadline an event is already scheduled for
};

AppB& Network::add_tunnel(const scenario::TunnelSpec& spec, const AppRegistry& apps,
                          const scenario::DeviceFaultSpec* faults, const ProgramFactory* programs,
                          const ProgramLaunch* program) {
  Host& h = host(spec.host);
  const std::size_t index = interface_index(h, spec.device);
  SimDevice* device = h.interface(index).device;
  if (device == nullptr) {
    throw InputError("tunnel on " + spec.host + "." + spec.device + ": not a TUN/TAP interface");
  }
  underlays_.push_back(std::make_unique<SimUnderlay>(*this, h, index));
  SimUnderlay& underlay = *underlays_.back();
  h.attach_raw_ipip(underlay);
  apps_.push_back(std::make_unique<HostedApp>(*this, spec.host));
  HostedApp* hosted = apps_.back().get();
  if (spec.offload) {
    if (device->kind() != DeviceKind::tun) {
      throw InputError((spec.app_place.empty() ? "" : spec.app_place + ": ") + "tunnels: offload on " + spec.host +
                       "." + spec.device + ": offloads are modelled for tun devices only");
    }
    device->set_offloads(true);
  }
  Device* app_device = device;
  if (faults != nullptr) {
    hosted->faulty = std::make_unique<FaultyDevice>(*device, *faults,
                                                    random_stream(FaultyDevice::stream_name(spec.host, spec.device)));
    app_device = hosted->faulty.get();
  }
  try {
    const AppEnvironment environment{spec.config, *app_device, underlay, *hosted};
    hosted->app = program != nullptr && programs != nullptr && *programs ? (*programs)(*program, environment)
                                                                         : apps.build(spec.app, environment);
  } catch (const std::invalid_argument& e) {
    throw InputError((spec.app_place.empty() ? "" : spec.app_place + ": ") + "tunnels: " + e.what());
  }
  device->set_reader([this, hosted] {
    hosted->app->on_device_readable(now());
    after_app_call(*hosted);
  });
  underlay.set_reader([this, hosted] {
    hosted->app->on_underlay_readable(now());
    after_app_call(*hosted);
  });
  after_app_call(*hosted);
  return *hosted->app;
}

// Keeps one timer event per app, at its earliest deadline. A deadline in the past fires now: an
// app cannot make the clock go back.
void Network::after_app_call(HostedApp& hosted) {
  const Time deadline = hosted.app->next_deadline_ns();
  if (deadline == AppB::kNoDeadline || deadline >= hosted.timer_at) {
    return;
  }
  hosted.timer_at = deadline;
  events_.schedule(std::max(deadline, now()), [this, &hosted, deadline] {
    if (hosted.timer_at != deadline) {
      return;  // superseded by an earlier deadline, whose event already ran the timer
    }
    hosted.timer_at = AppB::kNoDeadline;
    hosted.app->on_timer(now());
    after_app_call(hosted);
  });
}

void Network::end_apps() {
  for (const auto& hosted : apps_) {
    hosted->app->on_run_end(now());
  }
}

AppB* Network::find_tunnel(const std::string& host_name) {
  for (const auto& hosted : apps_) {
    if (hosted->host == host_name) {
      return hosted->app.get();
    }
  }
  return nullptr;
}

std::unique_ptr<Network> Network::from_scenario(const scenario::Scenario& s, std::uint64_t seed,
                                                const AppRegistry* apps, const ProgramFactory& programs) {
  auto network = std::make_unique<Network>(seed);
  for (const scenario::HostSpec& spec : s.hosts) {
    Host& h = network->add_host(spec.name, spec.forwarding);
    for (const scenario::InterfaceSpec& iface : spec.interfaces) {
      const std::size_t index = h.add_interface(iface);
      if (iface.kind != scenario::InterfaceKind::ethernet) {
        network->add_device(h, index, iface.kind == scenario::InterfaceKind::tun ? DeviceKind::tun : DeviceKind::tap);
      }
    }
    for (const scenario::RouteSpec& route : spec.routes) {
      h.routes().add(route.prefix, route.prefix_length, interface_index(h, route.device), route.via);
    }
    h.set_udp_listen(spec.udp_listen);
  }
  for (const scenario::LinkSpec& link : s.links) {
    network->add_link(link);
  }
  for (const scenario::TunnelSpec& tunnel : s.tunnels) {
    if (tunnel.kernel_ipip) {
      // The kernel's own ipip device has no simulated twin; tunlab's engine in its place would
      // be a green run of something the scenario did not ask for.
      throw InputError(
          fmt::format("tunnel on {}: app kernel-ipip is the kernel's own ipip device: the simulator "
                      "cannot run it (--backend real)",
                      tunnel.host));
    }
    std::optional<ProgramLaunch> program;
    if (!tunnel.command.empty()) {
      // The program itself or nothing: running another app in its place would test something else.
      const std::string line = scenario::expand_tunnel_command(tunnel, s);
      if (!programs) {
        throw InputError(
            fmt::format("tunnel on {}: `{}`: this simulator run cannot run tunnel programs (no "
                        "program runner; `tunlab run` has one)",
                        tunnel.host, line));
      }
      program = ProgramLaunch{tunnel.host, line, seed};
    }
    network->add_tunnel(tunnel, AppRegistry::or_builtin(apps),
                        scenario::find_device_fault(s, tunnel.host, tunnel.device), &programs,
                        program ? &*program : nullptr);
  }
  for (const scenario::LinkFaultSpec& fault : s.link_faults) {
    Link* link = network->find_link(fault.from);
    if (link == nullptr) {
      throw InputError(fault.place.describe() + ": faults.link: no link at " + fault.from.describe());
    }
    const Link::End& a = link->end(0);
    const bool from_a =
        a.host->name() == fault.from.host && a.host->interface(a.interface).name == fault.from.interface;
    link->set_faults(from_a ? 0 : 1, fault);
  }
  for (const scenario::DeviceFaultSpec& fault : s.device_faults) {
    SimDevice* device = network->find_device(fault.host, fault.device);
    if (device == nullptr) {
      throw InputError(fault.place.describe() + ": faults.device: no TUN/TAP device " + fault.host + "." +
                       fault.device);
    }
    device->set_faults(fault);  // queue_limit, down_at, up_at; eagain and read_buffer wrap (add_tunnel)
  }
  for (const scenario::LinkChangeSpec& change : s.link_changes) {
    Link* link = network->find_link(change.link);
    if (link == nullptr) {
      throw InputError(change.place.describe() + ": changes.link: no link at " + change.link.describe());
    }
    network->events().schedule(change.at_ns, [link, change] {
      if (change.mtu) {
        link->set_mtu(*change.mtu);
      }
      if (change.up) {
        link->set_up(*change.up);
      }
    });
  }
  return network;
}

bool Network::observe_hop(const std::string& label, HopObserver observer) {
  for (auto& h : hosts_) {
    for (std::size_t i = 0; i < h->interface_count(); ++i) {
      Interface& iface = h->interface(i);
      if (iface.label == label) {
        if (iface.hop_observers < 0) {
          iface.hop_observers = static_cast<int>(hop_observers_.size());
          hop_observers_.emplace_back();
        }
        hop_observers_[static_cast<std::size_t>(iface.hop_observers)].push_back(std::move(observer));
        return true;
      }
    }
  }
  return false;
}

bool Network::has_interface(const std::string& label) const {
  for (const auto& h : hosts_) {
    for (std::size_t i = 0; i < h->interface_count(); ++i) {
      if (h->interface(i).label == label) {
        return true;
      }
    }
  }
  return false;
}

bool Network::add_observer(RunObserver& observer) {
  const std::string label(observer.only_interface());
  if (label.empty()) {
    hop_observers_all_.push_back(&observer);
  } else if (!observe_hop(label, [&observer, label](Time at, Direction direction, std::uint32_t origin, ByteView ip) {
               observer.hop(at, label, direction == Direction::out, origin, ip);
             })) {
    return false;
  }
  observers_.push_back(&observer);
  return true;
}

bool Network::watch_hop(const std::string& label) {
  if (hop_logs_.count(label) != 0) {
    return true;
  }
  std::vector<HopRecord>* log = &hop_logs_[label];  // map nodes stay put
  if (!observe_hop(label, [log](Time at, Direction direction, std::uint32_t, ByteView ip) {
        log->push_back({at, direction, std::vector<std::uint8_t>(ip.begin(), ip.end())});
      })) {
    hop_logs_.erase(label);
    return false;
  }
  return true;
}

const std::vector<HopRecord>& Network::hop_records(const std::string& label) const {
  static const std::vector<HopRecord> kNone;
  auto it = hop_logs_.find(label);
  return it == hop_logs_.end() ? kNone : it->second;
}

void Network::observe(const Interface& iface, Direction direction, const Packet& packet) {
  if (packet.offload.needs_checksum) {
    // A TSO super-packet carries only the pseudo-header sum (tcpdump on a real tun shows that);
    // captures and hops see it completed, as the capture contract (docs/contracts.md) wants
    // every checksum valid.
    Packet completed(packet.bytes());
    completed.origin = packet.origin;
    complete_checksum(completed.mutable_bytes(), packet.offload.checksum_start, packet.offload.checksum_offset);
    observe(iface, direction, completed);
    return;
  }
  for (PacketTap* tap : taps_) {
    tap->seen(now(), iface, direction, packet.origin, packet.bytes());
  }
  if (iface.hop_observers < 0 && hop_observers_all_.empty()) {
    return;
  }
  const auto ip = carried_ipv4(iface, packet.bytes());
  if (!ip) {
    return;
  }
  for (RunObserver* observer : hop_observers_all_) {
    observer->hop(now(), iface.label, direction == Direction::out, packet.origin, *ip);
  }
  if (iface.hop_observers >= 0) {
    for (const HopObserver& observer : hop_observers_[static_cast<std::size_t>(iface.hop_observers)]) {
      observer(now(), direction, packet.origin, *ip);
    }
  }
}

void Network::dropped(const Packet& packet, DropReason reason, const Host& host, const Interface* interface,
                      bool on_link) {
  dropped(packet, to_string(reason), host, interface, on_link);
}

void Network::dropped(const Packet& packet, std::string_view reason, const Host& host, const Interface* interface,
                      bool on_link) {
  accounting_.dropped(packet.origin, reason);
  if (!observers_.empty()) {
    const DropPlace place{host.name(), interface != nullptr ? interface->label : std::string(), on_link};
    for (RunObserver* observer : observers_) {
      observer->drop(now(), place, packet.origin, reason, packet.bytes());
    }
  }
}

void Network::note_corruption(std::uint32_t origin) {
  auto at = std::lower_bound(corrupted_.begin(), corrupted_.end(), origin);
  if (at == corrupted_.end() || *at != origin) {
    corrupted_.insert(at, origin);
  }
}

bool Network::corrupted(std::uint32_t origin) const {
  return std::binary_search(corrupted_.begin(), corrupted_.end(), origin);
}

void Network::run(Time until) {
  const Time stop = std::min(until, limits::kMaxRunTimeNs);
  std::uint64_t events = 0;
  for (;;) {
    // The events budget grows with every packet sent (limits::kMaxRunEvents): a run that keeps
    // going without sending is one that never ends.
    const std::uint64_t per_packet = accounting_.injected() > UINT64_MAX / limits::kMaxRunEventsPerPacket
                                         ? UINT64_MAX
                                         : accounting_.injected() * limits::kMaxRunEventsPerPacket;
    const std::uint64_t budget =
        per_packet > UINT64_MAX - limits::kMaxRunEvents ? UINT64_MAX : per_packet + limits::kMaxRunEvents;
    if (events >= budget) {
      throw RunBoundExceeded(fmt::format(
          "the run does not end: {} events by virtual time {:.6f} s with {} packets sent, over the bound of {} "
          "events plus {} per packet sent (a routing loop, or a fault that never lets a packet go, e.g. eagain: 1)",
          events, static_cast<double>(now()) / 1e9, accounting_.injected(), limits::kMaxRunEvents,
          limits::kMaxRunEventsPerPacket));
    }
    const std::uint64_t ran = events_.run_until(stop, budget - events);
    events += ran;
    if (events < budget) {
      break;  // drained, or the next event is after `stop`
    }
  }
  if (until > stop && !events_.empty()) {
    throw RunBoundExceeded(fmt::format(
        "the run does not end: its virtual time passes {} days, the bound on a run's virtual time (events still "
        "pending; a routing loop, or a fault that never lets a packet go)",
        limits::kMaxRunTimeNs / limits::kMaxDurationNs));
  }
  settle_in_flight(events_.empty());
}

void Network::settle_in_flight(bool queue_drained) {
  for (auto& h : hosts_) {
    for (std::uint32_t origin : h->reassembler().pending_origins()) {
      accounting_.settle(origin, DropReason::reassembly_incomplete);
    }
  }
  for (auto& device : devices_) {
    device->drain(DropReason::in_flight_at_end);
  }
  if (!queue_drained) {
    for (std::uint32_t origin : accounting_.in_flight()) {
      accounting_.settle(origin, DropReason::in_flight_at_end);
    }
  }
}

}  // namespace tunlab::sim
