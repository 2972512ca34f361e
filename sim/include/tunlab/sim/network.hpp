// The simulation: owns the virtual clock and event queue, hosts, links, simulated devices,
// raw sockets and tunnel engines, and per-packet accounting. It shows every packet crossing an
// interface to the taps added to it (captures, the trace: see packet_tap.hpp) and to hop
// observers. Nothing in it reads the wall clock or an unseeded random source, so one scenario
// and seed give one result.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tunlab/harness/faulty_device.hpp"
#include "tunlab/harness/run_observer.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/sim/accounting.hpp"
#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/host.hpp"
#include "tunlab/sim/link.hpp"
#include "tunlab/sim/packet_tap.hpp"
#include "tunlab/sim/program_factory.hpp"
#include "tunlab/sim/random.hpp"
#include "tunlab/sim/sim_device.hpp"
#include "tunlab/sim/sim_underlay.hpp"
#include "tunlab/sim/tcp_writes.hpp"
#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/tunnel_engine.hpp"

namespace tunlab::sim {

// One packet seen on an interface, for traces and hop expectations.
struct HopRecord {
  Time at = 0;
  Direction direction = Direction::out;
  std::vector<std::uint8_t> bytes;  // IPv4 packet (link header removed)
};

// A run that went past a bound of virtual time or events (input_limits.hpp): the scenario never
// ends (exit 2, naming the bound).
class RunBoundExceeded : public InputError {
public:
  using InputError::InputError;
};

class Network {
public:
  static constexpr Time kForever = INT64_MAX;

  explicit Network(std::uint64_t seed = 1);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Builds hosts, interfaces, routes, links, devices and tunnels from a scenario model; each
  // tunnel's app B comes from `apps` (nullptr: the apps tunlab ships), a `command:` tunnel's from
  // `programs` (none: such a scenario is refused with InputError, never run with another app).
  static std::unique_ptr<Network> from_scenario(const scenario::Scenario& scenario, std::uint64_t seed,
                                                const AppRegistry* apps = nullptr, const ProgramFactory& programs = {});

  Host& add_host(const std::string& name, bool forwarding);
  Host* find_host(const std::string& name);
  Host& host(const std::string& name);
  const std::vector<std::unique_ptr<Host>>& hosts() const { return hosts_; }
  Link& add_link(const scenario::LinkSpec& spec);
  Link* find_link(const scenario::LinkEnd& end);
  SimDevice& add_device(Host& host, std::size_t interface, DeviceKind kind);
  SimDevice* find_device(const std::string& host, const std::string& device);
  // Builds the tunnel's app B (spec.app) over the interface's SimDevice and a raw IPIP socket on
  // its host, and drives it from the event queue: readable device or socket, the app's timer.
  // With `faults`, app B reads through a FaultyDevice around the SimDevice (eagain, read_buffer;
  // the device's own faults are SimDevice::set_faults).
  // With `program` (a `command:` tunnel), the app is the program `program->command_line` run by
  // `programs` instead.
  AppB& add_tunnel(const scenario::TunnelSpec& spec, const AppRegistry& apps,
                   const scenario::DeviceFaultSpec* faults = nullptr, const ProgramFactory* programs = nullptr,
                   const ProgramLaunch* program = nullptr);
  AppB* find_tunnel(const std::string& host);
  // After the run: tells every app the run is over (AppB::on_run_end), in tunnel order.
  void end_apps();

  EventQueue& events() { return events_; }
  // Keeps `thing` alive as long as the network (e.g. a traffic source its events point at).
  void keep_alive(std::shared_ptr<void> thing) { kept_alive_.push_back(std::move(thing)); }
  Time now() const { return events_.now(); }
  Accounting& accounting() { return accounting_; }
  // TCP writes a host sent as TSO super-packets, for the receiving host's socket.
  TcpWrites& tcp_writes() { return tcp_writes_; }
  std::uint64_t seed() const { return seed_; }
  Random random_stream(const std::string& name) const { return Random::derive(seed_, name); }
  // A new interface's Interface::id; hosts call it as they add one.
  std::size_t next_interface_id() { return interface_count_++; }
  // Every Interface::id is below it.
  std::size_t interface_count() const { return interface_count_; }

  // Shows `tap` every packet crossing any interface, as it passes, after the taps added before
  // it. Not owned: it must outlive the run.
  void add_tap(PacketTap& tap) { taps_.push_back(&tap); }

  // Calls `observer` for every IPv4 packet seen on `label` ("left-eth0"), as it passes. False
  // when no interface has that label.
  using HopObserver = std::function<void(Time, Direction, std::uint32_t origin, ByteView ip_packet)>;
  bool observe_hop(const std::string& label, HopObserver observer);
  // Keeps every packet seen on `label`, for tests and tools that look at them afterwards (memory
  // grows with the run: scenario runs count hop expectations as packets pass instead).
  bool watch_hop(const std::string& label);
  const std::vector<HopRecord>& hop_records(const std::string& label) const;
  // Shows `observer` every hop (of its only_interface(), or all) and every drop as it happens,
  // after the observers added before it. Not owned: it must outlive the run. False when the
  // observer wants an interface no host has.
  bool add_observer(RunObserver& observer);
  // Whether a host has an interface labelled `label` ("left-eth0").
  bool has_interface(const std::string& label) const;

  // Accounts a drop of `packet` and tells the observer where it happened: on `host`, at
  // `interface` when known, on the link leaving `interface` when `on_link`.
  void dropped(const Packet& packet, DropReason reason, const Host& host, const Interface* interface = nullptr,
               bool on_link = false);
  // The same with an app's own name for the reason (app B plug-ins name their drops).
  void dropped(const Packet& packet, std::string_view reason, const Host& host, const Interface* interface = nullptr,
               bool on_link = false);

  // Called by hosts for every packet crossing an interface: `packet` as that interface carries
  // it (an Ethernet frame on TAP, an IPv4 packet elsewhere), for the taps and hop observers.
  void observe(const Interface& interface, Direction direction, const Packet& packet);

  // A fault flipped bits in a packet of this origin: its delivered bytes may differ from the sent.
  void note_corruption(std::uint32_t origin);
  bool corrupted(std::uint32_t origin) const;

  // Runs until the queue drains or the clock passes `until`; then settles accounting for packets
  // still in flight (reassembly, device queues) with a named reason. A run that does not end
  // within the bounds of limits::kMaxRunTimeNs and limits::kMaxRunEvents (input_limits.hpp) throws
  // RunBoundExceeded naming the bound: a routing loop, or a fault that never lets a packet go.
  void run(Time until = kForever);

private:
  void settle_in_flight(bool queue_drained);

  std::uint64_t seed_;
  EventQueue events_;
  Accounting accounting_;
  TcpWrites tcp_writes_;
  std::vector<std::unique_ptr<Host>> hosts_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<std::unique_ptr<SimDevice>> devices_;
  std::vector<std::unique_ptr<SimUnderlay>> underlays_;
  struct HostedApp;
  void after_app_call(HostedApp& hosted);
  std::vector<std::unique_ptr<HostedApp>> apps_;
  std::size_t interface_count_ = 0;
  std::vector<PacketTap*> taps_;
  std::vector<std::vector<HopObserver>> hop_observers_;
  std::map<std::string, std::vector<HopRecord>> hop_logs_;
  std::vector<RunObserver*> observers_;          // every one: drops, and run_ended
  std::vector<RunObserver*> hop_observers_all_;  // those that want every interface's hops
  std::vector<std::uint32_t> corrupted_;         // sorted origins
  std::vector<std::shared_ptr<void>> kept_alive_;
};

}  // namespace tunlab::sim
