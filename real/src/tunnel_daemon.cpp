// `tunlab tunnel`: TunDevice + RawIpipUnderlay + TunnelEngine under an EpollDriver.
#include "tunlab/real/tunnel_daemon.hpp"

#include <csignal>
#include <exception>
#include <ostream>
#include <sstream>

#include "tunlab/real/epoll_driver.hpp"
#include "tunlab/real/netlink.hpp"
#include "tunlab/real/netns.hpp"
#include "tunlab/real/tun_device.hpp"

namespace tunlab::real {

TunnelConfig to_tunnel_config(const TunnelDaemonOptions& options) {
  TunnelConfig config;
  config.local = options.local;
  config.remote = options.remote;
  config.inner_address = options.inner_address == Ipv4Address("0.0.0.0") ? options.local : options.inner_address;
  config.ttl_mode = options.ttl ? TtlMode::fixed : TtlMode::inherit;
  config.ttl = options.ttl.value_or(0);
  config.tos_mode = options.tos ? TosMode::fixed : TosMode::copy;
  config.tos = options.tos.value_or(0);
  config.ecn_mode = options.ecn_compat ? EcnMode::compat : EcnMode::normal;
  config.pmtudisc = options.pmtudisc;
  config.underlay_mtu = options.underlay_mtu;
  return config;
}

std::string counters_json(const TunnelCounters& c) {
  std::ostringstream json;
  json << '{';
  for (const auto& [name, value] : counter_fields(c)) {
    json << '"' << name << "\": " << value << ", ";
  }
  json << "\"dropped\": {";
  bool first = true;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (c.drops.count[i] == 0) {
      continue;
    }
    json << (first ? "" : ", ") << '"' << to_string(static_cast<DropReason>(i)) << "\": " << c.drops.count[i];
    first = false;
  }
  json << "}}";
  return json.str();
}

int run_tunnel_daemon(const TunnelDaemonOptions& options, std::ostream& out, std::ostream& err) {
  try {
    if (options.underlay_mtu < kMinimumTunnelMtu + kOuterHeaderLength) {
      err << "tunlab tunnel: underlay MTU " << options.underlay_mtu << " is below "
          << kMinimumTunnelMtu + kOuterHeaderLength << "\n";
      return 2;
    }
    EpollDriver driver;
    TunnelEngine* engine_ptr = nullptr;
    driver.handle_signals({SIGINT, SIGTERM, SIGUSR1}, [&](int signo) {
      if (signo == SIGUSR1) {
        if (engine_ptr != nullptr) {
          out << counters_json(engine_ptr->counters()) << std::endl;
        }
        return;
      }
      driver.request_stop();
    });
    TunOptions tun_options;
    tun_options.name = options.device;
    tun_options.kind = options.kind;
    tun_options.mtu = options.underlay_mtu - kOuterHeaderLength;
    TunDevice device(tun_options);
    RawIpipUnderlay underlay(RawIpipOptions{options.local, options.remote, options.filter});
    if (kernel_ipip_loaded()) {
      err << "tunlab tunnel: warning: the kernel ipip module is loaded; it also sees IPIP packets and "
             "answers those no kernel tunnel claims with ICMP port unreachable\n";
    }
    TunnelEngine engine(to_tunnel_config(options), device, underlay);
    engine_ptr = &engine;
    driver.add(device.poll_fd(), [&](std::int64_t now) { engine.poll_device(now); });
    driver.add(underlay.poll_fd(), [&](std::int64_t now) { engine.poll_underlay(now); });
    if (options.address) {
      // Last, so that a script polling for the address knows everything above is in place. Only
      // the device's own sysctl: "all" belongs to whoever owns this namespace.
      const Netns here = Netns::current("tunnel");
      address_add(here, options.device, *options.address, options.address_prefix);
      sysctl_write(here, "net/ipv4/conf/" + options.device + "/accept_local", "1");
    }
    const std::int64_t forever = std::int64_t{365} * 24 * 3600 * 1'000'000'000;
    driver.run_for(std::chrono::nanoseconds(options.run_for_ns.value_or(forever)));
    out << counters_json(engine.counters()) << std::endl;
    return 0;
  } catch (const std::exception& e) {
    err << "tunlab tunnel: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace tunlab::real
