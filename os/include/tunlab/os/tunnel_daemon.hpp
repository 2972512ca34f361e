// App B as a daemon on the real kernel (`tunlab tunnel`): one TUN/TAP device, one raw IPIP socket,
// an app B (tunlab's engine unless told otherwise), and an epoll loop until SIGINT/SIGTERM. Counters go out as one JSON
// line on SIGUSR1 and at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "tunlab/os/drop_privileges.hpp"
#include "tunlab/os/raw_ipip_underlay.hpp"
#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/device.hpp"
#include "tunlab/tunnel/drop_tally.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"

namespace tunlab::os {

struct TunnelDaemonOptions {
  std::string device = "tun0";  // created (or attached) in the caller's namespace
  DeviceKind kind = DeviceKind::tun;
  // The app's settings; the device MTU is config.underlay_mtu - 20. An inner_address of 0.0.0.0
  // means "use local" (the source of ICMP errors app B writes into the device).
  TunnelConfig config;
  std::string app = std::string(AppRegistry::kDefaultApp);
  const AppRegistry* apps = nullptr;  // nullptr: the apps tunlab ships
  PeerFilter filter = PeerFilter::engine;
  // TUN segmentation offloads (TunOptions::offloads): TSO super-packets read and split into
  // segments before encapsulation, received TCP segments coalesced into GSO writes. The wire
  // sees the same RFC 2003 packets either way; what the kernel refuses stays off.
  bool offloads = true;
  // TUN reads and writes in batches through io_uring (TunOptions::batched_io), one system call
  // for many packets; where the kernel refuses io_uring, one system call each.
  bool batched_io = true;
  // When set, added to the device (with its prefix route) after the device, the raw socket and
  // the app exist, with accept_local=1 on the device for the ICMP errors app B writes from it.
  // The address appearing on the device therefore means the daemon is ready for traffic.
  std::optional<Ipv4Address> address;
  unsigned address_prefix = 24;
  // When set, privileges are dropped once the device, the socket and the address exist (the CLI
  // always sets it; tests running the daemon in their own process leave it unset).
  std::optional<PrivilegeDropOptions> drop_privileges;
  // Stops after this long (tests); nullopt runs until SIGINT/SIGTERM.
  std::optional<std::int64_t> run_for_ns;
};

// One JSON object on one line: the app's counters, the raw socket's kernel-side drops when known
// (packets the kernel dropped because the receive buffer was full), its drops by reason, and with
// `offloads` (DeviceOffloads in words: "tso+gso", "tso", "gso" or "off") what the device accepted,
// and in super-packet mode how many outer datagrams the kernel fragmented.
std::string counters_json(const AppCounters& counters, const DropTally& drops,
                          std::optional<std::uint64_t> kernel_drops = std::nullopt, std::string_view offloads = {},
                          std::optional<std::uint64_t> kernel_fragmented = std::nullopt);
// Packets the kernel dropped on socket `fd` (SO_MEMINFO's SK_MEMINFO_DROPS: receive buffer
// overflow, the count SO_RXQ_OVFL reports); nullopt if the kernel does not say.
std::optional<std::uint64_t> socket_kernel_drops(int fd);

// Runs until SIGINT/SIGTERM (or run_for_ns). Blocks SIGINT, SIGTERM and SIGUSR1 in the calling
// thread (call it before starting threads). Writes counters JSON to `out` on SIGUSR1 and at exit;
// errors go to `err`. Returns kExitOk on a clean stop, kExitBadInput when the options cannot be
// carried out, kExitSystemFailure when a system call fails (exit_code.hpp).
int run_tunnel_daemon(const TunnelDaemonOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tunlab::os
