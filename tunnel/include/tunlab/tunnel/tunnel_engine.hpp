// The tunnel engine: app B. Joins a Device (tun0/tap0) and an Underlay (raw IPIP socket) and
// carries out the encapsulator's and decapsulator's actions. The same object runs on the simulator
// and on the kernel: its driver calls poll_* when a side is readable and passes the time in.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/device.hpp"
#include "tunlab/tunnel/drop_reason.hpp"
#include "tunlab/tunnel/ipip.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"
#include "tunlab/tunnel/underlay.hpp"

namespace tunlab {

struct TunnelCounters {
  std::uint64_t device_packets_read = 0;
  std::uint64_t device_bytes_read = 0;
  std::uint64_t device_packets_written = 0;
  std::uint64_t device_eagain = 0;
  std::uint64_t device_write_errors = 0;
  std::uint64_t outer_packets_sent = 0;
  std::uint64_t outer_bytes_sent = 0;
  std::uint64_t outer_packets_received = 0;
  std::uint64_t icmp_errors_received = 0;
  std::uint64_t icmp_sent_to_inner = 0;  // frag-needed for oversize DF packets, relayed errors
  std::uint64_t icmp_not_relayed = 0;
  std::uint64_t path_mtu_updates = 0;
  std::uint64_t tap_arp_replies = 0;
  DropCounters drops;
};

// Every scalar counter by name, in declaration order: what summaries and the daemon print.
std::vector<std::pair<std::string_view, std::uint64_t>> counter_fields(const TunnelCounters& counters);

class TunnelEngine final : public AppB {
public:
  // Called for every packet the engine drops, with the packet's origin tag; the simulator uses it
  // to account each injected packet.
  using DropObserver = std::function<void(const Packet&, DropReason)>;

  TunnelEngine(TunnelConfig config, Device& device, Underlay& underlay);

  // Reads and handles up to `budget` packets from the device. Returns how many were handled.
  std::size_t poll_device(std::int64_t now_ns, std::size_t budget = 64);
  // Receives and handles up to `budget` packets or errors from the underlay.
  std::size_t poll_underlay(std::int64_t now_ns, std::size_t budget = 64);

  // AppB: the drivers' entry points, with the budgets above.
  void on_device_readable(std::int64_t now_ns) override { poll_device(now_ns); }
  void on_underlay_readable(std::int64_t now_ns) override { poll_underlay(now_ns); }
  // counter_fields() in order, then the tunnel MTU in effect at `now_ns`.
  AppCounters counters(std::int64_t now_ns) const override;

  void set_drop_observer(DropObserver observer) { drop_observer_ = std::move(observer); }
  const TunnelCounters& counters() const { return counters_; }
  const TunnelConfig& config() const { return config_; }
  const TunnelState& state() const { return state_; }
  std::size_t tunnel_mtu(std::int64_t now_ns) const { return tunlab::tunnel_mtu(config_, state_, now_ns); }

private:
  void handle_from_device(Packet&& packet, std::int64_t now_ns);
  void carry_out(std::int64_t now_ns);
  void drop(const Packet& packet, DropReason reason);
  bool handle_tap_frame(Packet& frame);
  void write_to_device(Packet& packet, bool generated_here);

  TunnelConfig config_;
  Device& device_;
  Underlay& underlay_;
  TunnelState state_;
  TunnelCounters counters_;
  TunnelActions actions_;
  Packet read_buffer_;
  Packet receive_buffer_;
  DropObserver drop_observer_;
  // TAP: the MAC the host stack uses on tap0, learned from its frames; ours is fixed.
  std::array<std::uint8_t, 6> tap_peer_mac_{};
  bool tap_peer_known_ = false;
};

// The MAC app B answers ARP with on a TAP device (locally administered, fixed for determinism).
inline constexpr std::array<std::uint8_t, 6> kTapEngineMac{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};

}  // namespace tunlab
