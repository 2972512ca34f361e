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
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/tcp_offload.hpp"

namespace tunlab {

struct TunnelCounters {
  std::uint64_t device_packets_read = 0;
  std::uint64_t device_bytes_read = 0;
  std::uint64_t device_packets_written = 0;
  std::uint64_t device_eagain = 0;
  std::uint64_t device_write_errors = 0;
  std::uint64_t device_read_errors = 0;  // a read that failed (not EAGAIN, not truncation)
  std::uint64_t outer_packets_sent = 0;
  std::uint64_t outer_bytes_sent = 0;
  std::uint64_t outer_packets_received = 0;
  std::uint64_t icmp_errors_received = 0;
  std::uint64_t icmp_sent_to_inner = 0;  // frag-needed for oversize DF packets, relayed errors
  std::uint64_t icmp_not_relayed = 0;
  std::uint64_t path_mtu_updates = 0;
  std::uint64_t tap_arp_replies = 0;
  // Segmentation offloads (only with a Device whose capabilities().offloads are on).
  std::uint64_t device_super_packets_read = 0;     // TSO super-packets read and split
  std::uint64_t device_segments_from_super = 0;    // the segments they were split into
  std::uint64_t device_checksums_completed = 0;    // partial-checksum packets completed
  std::uint64_t device_super_packets_written = 0;  // GRO-coalesced GSO writes
  std::uint64_t device_segments_coalesced = 0;     // the segments those writes carried
  std::uint64_t device_gso_write_refusals = 0;     // GSO writes the kernel refused (then per segment)
  DropCounters drops;
};

// Every scalar counter by name, in declaration order: what summaries and the daemon print. The
// offload counters appear only once one of them is non-zero, so summaries of runs without
// offloads stay as they were.
std::vector<std::pair<std::string_view, std::uint64_t>> counter_fields(const TunnelCounters& counters);

class TunnelEngine final : public AppB {
public:
  // Called for every packet the engine drops, with the packet's origin tag; the simulator uses it
  // to account each injected packet.
  using DropObserver = std::function<void(const Packet&, DropReason)>;

  TunnelEngine(TunnelConfig config, Device& device, Underlay& underlay);

  // Reads and handles up to `budget` packets from the device. Returns how many were handled.
  // Outer packets go to the underlay in batches (Underlay::send_batch), all sent before this
  // returns. A TSO super-packet is split here into the segments the kernel would have sent, and
  // each segment is encapsulated on its own, so every RFC 2003 rule applies per segment.
  std::size_t poll_device(std::int64_t now_ns, std::size_t budget = 64);
  // Receives and handles up to `budget` packets or errors from the underlay. With a device that
  // takes GSO writes, the decapsulated TCP segments of the batch are coalesced per flow
  // (TcpCoalescer) and written as super-packets; everything is written before this returns.
  std::size_t poll_underlay(std::int64_t now_ns, std::size_t budget = 64);

  // AppB: the drivers' entry points, with the budgets above.
  void on_device_readable(std::int64_t now_ns) override { poll_device(now_ns); }
  void on_underlay_readable(std::int64_t now_ns) override { poll_underlay(now_ns); }
  // counter_fields() in order, then the tunnel MTU in effect at `now_ns`.
  AppCounters counters(std::int64_t now_ns) const override;

  void set_drop_observer(DropObserver observer) { drop_observer_ = std::move(observer); }
  // Called for every ICMP error from the underlay with what the engine did with it
  // (to_string(RelayOutcome)) and the outer packet it quotes.
  using RelayObserver = std::function<void(ByteView quoted, std::string_view decision)>;
  void set_relay_observer(RelayObserver observer) { relay_observer_ = std::move(observer); }
  const TunnelCounters& counters() const { return counters_; }
  const TunnelConfig& config() const { return config_; }
  const TunnelState& state() const { return state_; }
  std::size_t tunnel_mtu(std::int64_t now_ns) const { return tunlab::tunnel_mtu(config_, state_, now_ns); }

private:
  void handle_from_device(Packet&& packet, std::int64_t now_ns);
  void handle_super_packet(Packet&& packet, std::int64_t now_ns);
  void carry_out(std::int64_t now_ns);
  void flush_sends(std::int64_t now_ns);
  void flush_device_writes();
  void drop(const Packet& packet, DropReason reason);
  bool handle_tap_frame(Packet& frame);
  void write_to_device(Packet& packet, bool generated_here);
  // Batched device I/O (Device::batches_io, the real TUN device): reads come in batches, and
  // plain writes wait in write_batch_ until the end of the poll (or a GSO write) and go out in
  // one write_many.
  std::size_t poll_device_batched(std::int64_t now_ns, std::size_t budget);
  bool take_read(const IoResult& result, Packet& packet, std::int64_t now_ns, std::size_t& handled);
  void flush_pending_writes();
  void account_device_write(const IoResult& result, const OffloadInfo& offload, std::size_t size, std::uint32_t origin,
                            bool generated_here);
  void write_segments(Packet& super, std::uint32_t origin);

  TunnelConfig config_;
  Device& device_;
  Underlay& underlay_;
  TunnelState state_;
  TunnelCounters counters_;
  TunnelActions actions_;
  Packet read_buffer_;
  Packet receive_buffer_;
  // Outer packets waiting for one send_batch; [0, pending_sends_) in use.
  std::vector<OuterSend> send_batch_;
  struct SendNote {
    std::size_t inner_size = 0;
    std::uint32_t origin = 0;
  };
  std::vector<SendNote> send_notes_;  // what the engine must know of each after the send
  std::size_t pending_sends_ = 0;
  std::vector<Packet> segments_;  // reused by segment_tcp4
  static constexpr std::size_t kDeviceBatch = 64;
  std::vector<Packet> read_batch_;  // batched reads (sized on first use)
  std::vector<IoResult> read_results_;
  struct WriteNote {
    std::uint32_t origin = 0;
    bool generated = false;
  };
  std::vector<Packet> write_batch_;  // [0, pending_writes_) wait for flush_pending_writes
  std::vector<WriteNote> write_notes_;
  std::vector<IoResult> write_results_;
  std::size_t pending_writes_ = 0;
  TcpCoalescer coalescer_;
  bool coalesce_ = false;    // the device takes GSO writes and has not refused one
  bool batched_io_ = false;  // the device's capabilities().batched_io, fixed at construction
  DropObserver drop_observer_;
  RelayObserver relay_observer_;
  // TAP: the MAC the host stack uses on tap0, learned from its frames; ours is fixed.
  MacAddress tap_peer_mac_{};
  bool tap_peer_known_ = false;
};

// The MAC app B answers ARP with on a TAP device (locally administered, fixed for determinism).
inline constexpr MacAddress kTapEngineMac{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};

}  // namespace tunlab
