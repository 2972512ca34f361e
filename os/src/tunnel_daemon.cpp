// `tunlab tunnel`: TunDevice + RawIpipUnderlay + an app B under an EpollDriver.
#include "tunlab/os/tunnel_daemon.hpp"

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <csignal>
#include <exception>
#include <memory>
#include <ostream>
#include <sstream>
#include <system_error>

#include "tunlab/os/app_driver.hpp"
#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/os/exit_code.hpp"
#include "tunlab/os/netlink.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/os/tun_device.hpp"

namespace tunlab::os {

std::optional<std::uint64_t> socket_kernel_drops(int fd) {
  std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t length = sizeof meminfo;
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &length) != 0 || length <= SK_MEMINFO_DROPS * 4) {
    return std::nullopt;
  }
  return meminfo[SK_MEMINFO_DROPS];
}

std::string counters_json(const AppCounters& counters, const DropTally& drops,
                          std::optional<std::uint64_t> kernel_drops, std::string_view offloads,
                          std::optional<std::uint64_t> kernel_fragmented) {
  std::ostringstream json;
  json << '{';
  for (const auto& [name, value] : counters) {
    json << '"' << name << "\": " << value << ", ";
  }
  if (kernel_drops) {
    json << "\"raw_socket_kernel_drops\": " << *kernel_drops << ", ";
  }
  if (kernel_fragmented) {
    json << "\"underlay_kernel_fragmented\": " << *kernel_fragmented << ", ";
  }
  json << "\"dropped\": {";
  bool first = true;
  for (const auto& [reason, count] : drops.by_reason()) {
    json << (first ? "" : ", ") << '"' << reason << "\": " << count;
    first = false;
  }
  json << '}';
  if (!offloads.empty()) {
    json << ", \"offloads\": \"" << offloads << '"';
  }
  json << '}';
  return json.str();
}

int run_tunnel_daemon(const TunnelDaemonOptions& options, std::ostream& out, std::ostream& err) {
  try {
    TunnelConfig config = options.config;
    if (config.inner_address == Ipv4Address("0.0.0.0")) {
      config.inner_address = config.local;
    }
    if (config.underlay_mtu < kMinimumTunnelMtu + kOuterHeaderLength) {
      err << "tunlab tunnel: underlay MTU " << config.underlay_mtu << " is below "
          << kMinimumTunnelMtu + kOuterHeaderLength << "\n";
      return kExitBadInput;
    }
    EpollDriver driver;
    const AppRegistry& apps = AppRegistry::or_builtin(options.apps);
    if (apps.find(options.app) == nullptr) {
      err << "tunlab tunnel: --app: unknown app '" << options.app << "'\n";
      return kExitBadInput;
    }
    DropTally drops;
    AppB* app_ptr = nullptr;
    int raw_fd = -1;
    const RawIpipUnderlay* underlay_ptr = nullptr;
    std::string offloads;
    // Super-packet mode only: how many outer datagrams the kernel fragmented.
    const auto kernel_fragmented = [&]() -> std::optional<std::uint64_t> {
      if (!config.super_packets || underlay_ptr == nullptr) {
        return std::nullopt;
      }
      return underlay_ptr->kernel_fragmented();
    };
    driver.handle_signals({SIGINT, SIGTERM, SIGUSR1}, [&](int signo) {
      if (signo == SIGUSR1) {
        if (app_ptr != nullptr) {
          out << counters_json(app_ptr->counters(EpollDriver::now_ns()), drops, socket_kernel_drops(raw_fd), offloads,
                               kernel_fragmented())
              << std::endl;
        }
        return;
      }
      driver.request_stop();
    });
    TunOptions tun_options;
    tun_options.name = options.device;
    tun_options.kind = options.kind;
    tun_options.mtu = config.underlay_mtu - kOuterHeaderLength;
    tun_options.offloads = options.offloads;
    tun_options.batched_io = options.batched_io;
    TunDevice device(tun_options);
    const DeviceOffloads accepted = device.capabilities().offloads;
    offloads =
        accepted.super_packet_reads ? (accepted.gso_writes ? "tso+gso" : "tso") : (accepted.gso_writes ? "gso" : "off");
    if (options.batched_io && !device.capabilities().batched_io) {
      err << "tunlab tunnel: note: " << device.batched_io_note() << "; one system call per packet\n";
    }
    if (config.super_packets && !(accepted.super_packet_reads && accepted.gso_writes)) {
      err << "tunlab tunnel: --super-packets: this kernel refused the offloads it needs (TSO reads and GSO "
             "writes; "
          << device.offload_note() << ")\n";
      return kExitBadInput;
    }
    RawIpipUnderlay underlay(RawIpipOptions{config.local, config.remote, options.filter, config.super_packets});
    if (kernel_ipip_loaded()) {
      err << "tunlab tunnel: warning: the kernel ipip module is loaded; it also sees IPIP packets and "
             "answers those no kernel tunnel claims with ICMP port unreachable\n";
    }
    raw_fd = underlay.poll_fd();
    underlay_ptr = &underlay;
    if (config.super_packets && !underlay.kernel_fragments_at(static_cast<std::uint16_t>(config.underlay_mtu))) {
      // The kernel fragments at its route MTU; the tunnel must fragment at its own (--mtu + 20).
      const std::uint32_t route_mtu = underlay.path_mtu().value_or(0);
      err << "tunlab tunnel: note: --super-packets: tunlab fragments the outer datagrams itself, at about half "
             "the speed: ";
      if (route_mtu > kOuterHeaderLength && route_mtu != config.underlay_mtu) {
        err << "the route to " << config.remote.to_string() << " has MTU " << route_mtu
            << ", not --mtu + 20 = " << config.underlay_mtu << "; --mtu " << route_mtu - kOuterHeaderLength
            << " lets the kernel fragment them\n";
      } else {
        err << "the kernel will not send from --local " << config.local.to_string() << "\n";
      }
    }
    const std::unique_ptr<AppB> app = apps.build(options.app, AppEnvironment{config, device, underlay, drops});
    app_ptr = app.get();
    const AppDriver app_driver(driver, *app, device, underlay);
    if (options.address) {
      // Last, so that a script polling for the address knows everything above is in place. Only
      // the device's own sysctl: "all" belongs to whoever owns this namespace.
      const Netns here = Netns::current("tunnel");
      address_add(here, options.device, *options.address, options.address_prefix);
      sysctl_write(here, "net/ipv4/conf/" + options.device + "/accept_local", "1");
    }
    if (options.drop_privileges) {
      // Everything that needs root is done: the device, the raw socket, the address.
      drop_privileges(*options.drop_privileges);
    }
    const std::int64_t forever = std::int64_t{365} * 24 * 3600 * 1'000'000'000;
    driver.run_for(std::chrono::nanoseconds(options.run_for_ns.value_or(forever)));
    out << counters_json(app->counters(EpollDriver::now_ns()), drops, socket_kernel_drops(raw_fd), offloads,
                         kernel_fragmented())
        << std::endl;
    return kExitOk;
  } catch (const std::system_error& e) {
    err << "tunlab tunnel: system failure: " << e.what() << "\n";
    return kExitSystemFailure;
  } catch (const std::exception& e) {
    err << "tunlab tunnel: " << e.what() << "\n";
    return kExitBadInput;
  }
}

}  // namespace tunlab::os
