// App B as a plug-in: what every driver (the simulator, the real runner, `tunlab tunnel`) calls,
// and what a driver hands the app it builds. tunlab's TunnelEngine is one app B; a project that
// tests its own tunnel writes another, registers a factory under a name, and a scenario's tunnel
// selects it with `app: NAME`.
//
// Ownership: the driver owns the Device, the Underlay and the DropReporter in AppEnvironment and
// keeps them alive as long as the app it built over them; the app keeps references, owns nothing
// of the driver's, and is destroyed first.
// Threads: a driver calls one app from one thread at a time; the calls never overlap.
// Time: every call passes the driver's clock in nanoseconds (virtual in the simulator,
// CLOCK_MONOTONIC in real mode). An app never reads a clock itself, which is what lets the same
// app run deterministically in the simulator.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tunlab/tunnel/device.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"
#include "tunlab/tunnel/underlay.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Where an app reports every packet it drops. The simulator accounts each injected packet by the
// origin tag it carries (Packet::origin), so a packet an app drops without reporting it ends the
// run with an "unexplained" invariant failure.
class DropReporter {
public:
  virtual ~DropReporter() = default;
  // `packet` is the packet as the app had it (its origin tag intact); `reason` is the app's own
  // name for the drop, lower-case words joined by '-' ("bad-magic"). tunlab's engine uses the
  // names of drop_reason.hpp; an app may use those or its own.
  virtual void dropped(const Packet& packet, std::string_view reason) = 0;
  // An ICMP error about one of the app's outer packets reached it and it decided what to do:
  // `decision` is "relayed" (an error went to the inner sender) or why not ("not-relayed",
  // "foreign-quote", "mtu-learned", ...); `quoted` is the outer packet the error quotes. Only the
  // report listens; an app that does not say is drawn without its decisions.
  virtual void icmp_decision(ByteView quoted, std::string_view decision) { (void)quoted, (void)decision; }
};

// Counters an app shows in the summary (`tunnels.HOST`) and on the daemon's SIGUSR1, by name.
using AppCounters = std::vector<std::pair<std::string, std::uint64_t>>;

class AppB {
public:
  static constexpr std::int64_t kNoDeadline = std::numeric_limits<std::int64_t>::max();

  virtual ~AppB() = default;
  // The device may have packets to read. The app reads as many as it likes; a driver calls again
  // while the device stays readable, so an app may stop early (a budget) without losing packets.
  virtual void on_device_readable(std::int64_t now_ns) = 0;
  // The underlay may have packets or ICMP errors to receive; the same rules.
  virtual void on_underlay_readable(std::int64_t now_ns) = 0;
  // The earliest time the app wants on_timer, or kNoDeadline. Drivers ask after every call into
  // the app and call on_timer once that time has come.
  virtual std::int64_t next_deadline_ns() const { return kNoDeadline; }
  virtual void on_timer(std::int64_t /*now_ns*/) {}
  // The run is over (the simulator calls it once, after the last event): an app that still holds
  // packets it took and will never pass on reports them to its DropReporter now, so every packet
  // ends delivered or dropped with a reason. tunlab's engine holds none.
  virtual void on_run_end(std::int64_t /*now_ns*/) {}
  // The app's counters at `now_ns`, in the order they should print.
  virtual AppCounters counters(std::int64_t now_ns) const = 0;
};

// What a driver hands a factory. `config` holds the scenario's tunnel settings (endpoints, inner
// address, TTL/TOS/ECN modes, underlay MTU); an app uses what applies to it.
struct AppEnvironment {
  const TunnelConfig& config;
  Device& device;
  Underlay& underlay;
  DropReporter& drops;
};

using AppFactory = std::function<std::unique_ptr<AppB>(const AppEnvironment&)>;

// App names to factories. A value, passed to the runners and the CLI, never a global.
class AppRegistry {
public:
  // The name a tunnel gets when its scenario names none: tunlab's RFC 2003 engine.
  static constexpr std::string_view kDefaultApp = "ipip";

  // "ipip": TunnelEngine.
  static AppRegistry with_builtin_apps();
  // One immutable registry of the built-in apps, for callers that were given none.
  static const AppRegistry& builtin();
  // `apps`, or builtin() when null: how every runner reads its optional registry.
  static const AppRegistry& or_builtin(const AppRegistry* apps) { return apps != nullptr ? *apps : builtin(); }
  // Whether `name` has the form of an app name: lower-case letters, digits and '-'.
  static bool valid_name(std::string_view name);

  // Throws std::invalid_argument for a name already taken or not of [a-z0-9-]+.
  void add(std::string name, AppFactory factory);
  // nullptr when unknown.
  const AppFactory* find(std::string_view name) const;
  std::vector<std::string> names() const;
  // Builds the app `name`; throws std::invalid_argument naming the known apps when unknown.
  std::unique_ptr<AppB> build(std::string_view name, const AppEnvironment& environment) const;

private:
  std::map<std::string, AppFactory, std::less<>> factories_;
};

}  // namespace tunlab
