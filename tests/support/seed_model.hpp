// The seed scenario's model (docs/contracts.md, "Seed topology") with each side's wan link MTU
// chosen by the test, for suites that build the seed on a backend and then poke at it by hand
// (the root suites build it with real::RealTopology; see os/os_test_support.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tunlab/scenario/scenario.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab::test {

struct SeedModelOptions {
  std::size_t left_link_mtu = 1500;   // left.eth0 <-> wan.left
  std::size_t right_link_mtu = 1500;  // wan.right <-> right.eth0
  // false: no app B, for a test that opens its own underlays (the tun0 devices still exist).
  bool tunnels = true;
};

// The seed, with each side's tun0 MTU and its tunnel's underlay MTU following that side's link:
// tun0 carries what fits in one outer packet (link MTU - 20).
scenario::Scenario seed_model(const SeedModelOptions& options = {});

// The seed with one line of `count` UDP datagrams from left to 10.0.0.22, `interval_ns` apart.
scenario::Scenario seed_udp_line(std::uint32_t count, scenario::Nanos interval_ns);

struct SeedAddresses {
  static Ipv4Address left_eth0() { return Ipv4Address("18.12.0.92"); }
  static Ipv4Address wan_left() { return Ipv4Address("18.12.0.1"); }
  static Ipv4Address wan_right() { return Ipv4Address("18.13.0.1"); }
  static Ipv4Address right_eth0() { return Ipv4Address("18.13.0.91"); }
  static Ipv4Address left_tun() { return Ipv4Address("10.0.0.12"); }
  static Ipv4Address right_tun() { return Ipv4Address("10.0.0.22"); }
};

}  // namespace tunlab::test
