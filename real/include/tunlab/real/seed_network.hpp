// The seed topology (docs/contracts.md) in three fd-held network namespaces, with tun0 and the raw IPIP
// socket opened inside left and right, ready for a TunnelEngine on each side:
//
//   [left]                          [wan]  (ip_forward=1)              [right]
//   tun0 10.0.0.12/24               left 18.12.0.1/24                  tun0 10.0.0.22/24
//   eth0 18.12.0.92/24 ==== veth ==== left    right ==== veth ==== eth0 18.13.0.91/24
//   default via 18.12.0.1           right 18.13.0.1/24                 default via 18.13.0.1
//   10.0.0.0/24 dev tun0 (prefix route of the tun0 address)           10.0.0.0/24 dev tun0
//
// Interface names match docs/contracts.md so captures are named left-eth0, wan-left, wan-right, ... on
// both backends. Everything vanishes with this object or with the process (see netns.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "tunlab/real/netns.hpp"
#include "tunlab/real/raw_ipip_underlay.hpp"
#include "tunlab/real/tun_device.hpp"
#include "tunlab/tunnel/device.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"

namespace tunlab::real {

struct SeedOptions {
  std::size_t left_link_mtu = 1500;   // left.eth0 <-> wan.left
  std::size_t right_link_mtu = 1500;  // wan.right <-> right.eth0
  DeviceKind kind = DeviceKind::tun;  // tap: the devices are named tap0 and carry Ethernet
  bool packet_info = false;
  PeerFilter filter = PeerFilter::engine;
};

struct SeedAddresses {
  static Ipv4Address left_eth0() { return Ipv4Address("18.12.0.92"); }
  static Ipv4Address wan_left() { return Ipv4Address("18.12.0.1"); }
  static Ipv4Address wan_right() { return Ipv4Address("18.13.0.1"); }
  static Ipv4Address right_eth0() { return Ipv4Address("18.13.0.91"); }
  static Ipv4Address left_tun() { return Ipv4Address("10.0.0.12"); }
  static Ipv4Address right_tun() { return Ipv4Address("10.0.0.22"); }
};

class SeedNetwork {
public:
  // Builds everything; throws (and tears down what was built) on any failure. The calling
  // thread stays in its own namespace throughout.
  explicit SeedNetwork(const SeedOptions& options = {});
  ~SeedNetwork();
  SeedNetwork(const SeedNetwork&) = delete;
  SeedNetwork& operator=(const SeedNetwork&) = delete;

  const Netns& left() const { return left_; }
  const Netns& wan() const { return wan_; }
  const Netns& right() const { return right_; }
  TunDevice& left_device() { return *left_device_; }
  TunDevice& right_device() { return *right_device_; }
  RawIpipUnderlay& left_underlay() { return *left_underlay_; }
  RawIpipUnderlay& right_underlay() { return *right_underlay_; }
  // Tunnel configurations for app B on each side (tunnel MTU = link MTU - 20).
  TunnelConfig left_config() const;
  TunnelConfig right_config() const;
  const std::string& device_name() const { return device_name_; }

private:
  SeedOptions options_;
  std::string device_name_;
  Netns left_;
  Netns wan_;
  Netns right_;
  std::unique_ptr<TunDevice> left_device_;
  std::unique_ptr<TunDevice> right_device_;
  std::unique_ptr<RawIpipUnderlay> left_underlay_;
  std::unique_ptr<RawIpipUnderlay> right_underlay_;
};

}  // namespace tunlab::real
