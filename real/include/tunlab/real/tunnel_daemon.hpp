// App B as a daemon on the real kernel (`tunlab tunnel`): one TUN/TAP device, one raw IPIP socket,
// a TunnelEngine, and an epoll loop until SIGINT/SIGTERM. Counters go out as one JSON line on
// SIGUSR1 and at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "tunlab/real/raw_ipip_underlay.hpp"
#include "tunlab/tunnel/device.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"
#include "tunlab/tunnel/tunnel_engine.hpp"

namespace tunlab::real {

struct TunnelDaemonOptions {
  std::string device = "tun0";  // created (or attached) in the caller's namespace
  DeviceKind kind = DeviceKind::tun;
  Ipv4Address local;   // outer source: an address of this host
  Ipv4Address remote;  // outer destination: the peer
  // Source of ICMP errors written into the device; give the device's address (the caller adds
  // it, e.g. `ip addr add 10.0.0.12/24 dev tun0`, after the daemon created the device). 0.0.0.0
  // means "use local".
  Ipv4Address inner_address;
  std::size_t underlay_mtu = 1500;       // device MTU = underlay_mtu - 20
  std::optional<std::uint8_t> ttl = 64;  // nullopt: inherit the inner TTL (Linux "ttl 0")
  std::optional<std::uint8_t> tos;       // nullopt: copy the inner TOS (RFC 2003); else fixed byte
  bool ecn_compat = false;               // RFC 6040 compatibility mode instead of normal
  bool pmtudisc = false;                 // outer DF always (else only when the inner DF is set)
  PeerFilter filter = PeerFilter::engine;
  // When set, added to the device (with its prefix route) after the device, the raw socket and
  // the engine exist, with accept_local=1 on the device for the ICMP errors app B writes from it.
  // The address appearing on the device therefore means the daemon is ready for traffic.
  std::optional<Ipv4Address> address;
  unsigned address_prefix = 24;
  // Stops after this long (tests); nullopt runs until SIGINT/SIGTERM.
  std::optional<std::int64_t> run_for_ns;
};

// Maps the daemon options onto the engine's configuration.
TunnelConfig to_tunnel_config(const TunnelDaemonOptions& options);
// One JSON object on one line: every TunnelCounters field and the non-zero drop reasons.
std::string counters_json(const TunnelCounters& counters);

// Runs until SIGINT/SIGTERM (or run_for_ns). Blocks SIGINT, SIGTERM and SIGUSR1 in the calling
// thread (call it before starting threads). Writes counters JSON to `out` on SIGUSR1 and at exit;
// errors go to `err`. Returns 0 on a clean stop, 2 when setup fails (bad options, no privilege).
int run_tunnel_daemon(const TunnelDaemonOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tunlab::real
