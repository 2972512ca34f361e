// The tunnel end the pure IPIP suites (ipip_encap_test, ipip_decap_test, icmp_relay_test) drive:
// this end 18.12.0.92 tunnelling to the peer 18.13.0.91, tun0's address 10.0.0.1 and app A's
// 10.0.0.12 behind it, and a fixture holding the config, the soft state and the actions one call of
// encapsulate() or decapsulate() appends.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "test_packets.hpp"
#include "tunlab/tunnel/ipip.hpp"

namespace tunlab::test {

inline const Ipv4Address kLocal("18.12.0.92");
inline const Ipv4Address kRemote("18.13.0.91");
inline const Ipv4Address kTunnelAddress("10.0.0.1");
inline const Ipv4Address kInnerSrc("10.0.0.12");

// kLocal to kRemote with tun0 at kTunnelAddress; every other setting its default.
inline TunnelConfig default_config() {
  TunnelConfig config;
  config.local = kLocal;
  config.remote = kRemote;
  config.inner_address = kTunnelAddress;
  return config;
}

class IpipFixture : public ::testing::Test {
protected:
  // Encapsulates `bytes` tagged with `origin` and returns the actions.
  const TunnelActions& encapsulate_bytes(const Bytes& bytes, std::uint32_t origin, std::int64_t now_ns) {
    Packet packet(bytes);
    packet.origin = origin;
    actions_.clear();
    encapsulate(config_, state_, std::move(packet), now_ns, actions_);
    return actions_;
  }
  // Decapsulates `outer` tagged with `origin` and returns the actions.
  const TunnelActions& decapsulate_bytes(const Bytes& outer, std::uint32_t origin) {
    Packet packet(outer);
    packet.origin = origin;
    actions_.clear();
    decapsulate(config_, std::move(packet), actions_);
    return actions_;
  }

  TunnelConfig config_ = default_config();
  TunnelState state_;
  TunnelActions actions_;
};

}  // namespace tunlab::test
