// Builds the seed topology (see seed_network.hpp for the picture) over netlink.
#include "tunlab/real/seed_network.hpp"

#include <optional>

#include "tunlab/real/netlink.hpp"

namespace tunlab::real {

namespace {

using A = SeedAddresses;

// One side of the tunnel: eth0 configured, tun0/tap0 and the raw socket opened inside `ns`.
void build_endpoint(const Netns& ns, const std::string& device, std::size_t link_mtu, Ipv4Address eth0,
                    Ipv4Address gateway, Ipv4Address tun_address, const SeedOptions& options,
                    std::unique_ptr<TunDevice>& tun, std::unique_ptr<RawIpipUnderlay>& underlay, Ipv4Address remote) {
  link_set_mtu(ns, "eth0", link_mtu);
  address_add(ns, "eth0", eth0, 24);
  link_set_up(ns, "eth0", true);
  route_add(ns, Ipv4Address("0.0.0.0"), 0, gateway, std::string("eth0"));
  run_in(ns, [&] {
    TunOptions tun_options;
    tun_options.name = device;
    tun_options.kind = options.kind;
    tun_options.packet_info = options.packet_info;
    tun_options.mtu = link_mtu - kOuterHeaderLength;
    tun = std::make_unique<TunDevice>(tun_options);
    underlay = std::make_unique<RawIpipUnderlay>(RawIpipOptions{eth0, remote, options.filter});
  });
  // The /24 on tun0 brings the kernel's prefix route 10.0.0.0/24 dev tun0 with it.
  address_add(ns, device, tun_address, 24);
  allow_local_source(ns, device);
}

}  // namespace

SeedNetwork::SeedNetwork(const SeedOptions& options)
    : options_(options),
      device_name_(options.kind == DeviceKind::tun ? "tun0" : "tap0"),
      left_("left"),
      wan_("wan"),
      right_("right") {
  disable_ipv6(left_);
  disable_ipv6(wan_);
  disable_ipv6(right_);
  veth_create(wan_, "left", left_, "eth0");
  veth_create(wan_, "right", right_, "eth0");
  link_set_mtu(wan_, "left", options_.left_link_mtu);
  link_set_mtu(wan_, "right", options_.right_link_mtu);
  address_add(wan_, "left", A::wan_left(), 24);
  address_add(wan_, "right", A::wan_right(), 24);
  link_set_up(wan_, "left", true);
  link_set_up(wan_, "right", true);
  enable_forwarding(wan_);
  build_endpoint(left_, device_name_, options_.left_link_mtu, A::left_eth0(), A::wan_left(), A::left_tun(), options_,
                 left_device_, left_underlay_, A::right_eth0());
  build_endpoint(right_, device_name_, options_.right_link_mtu, A::right_eth0(), A::wan_right(), A::right_tun(),
                 options_, right_device_, right_underlay_, A::left_eth0());
}

SeedNetwork::~SeedNetwork() = default;

TunnelConfig SeedNetwork::left_config() const {
  TunnelConfig config;
  config.local = A::left_eth0();
  config.remote = A::right_eth0();
  config.inner_address = A::left_tun();
  config.underlay_mtu = options_.left_link_mtu;
  return config;
}

TunnelConfig SeedNetwork::right_config() const {
  TunnelConfig config;
  config.local = A::right_eth0();
  config.remote = A::left_eth0();
  config.inner_address = A::right_tun();
  config.underlay_mtu = options_.right_link_mtu;
  return config;
}

}  // namespace tunlab::real
