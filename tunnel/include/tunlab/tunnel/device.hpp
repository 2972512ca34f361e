// Device: the TUN/TAP interface app B reads and writes (the seed's /dev/net/tun). Backends are
// siblings: sim::SimDevice (in memory) and real::TunDevice (/dev/net/tun); the tunnel engine only
// ever sees this interface.
#pragma once

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tunlab/tunnel/io_result.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

enum class DeviceKind { tun, tap };

// What a device's segmentation offloads allow (Linux: IFF_VNET_HDR + TUNSETOFFLOAD). Everything
// is off unless a backend turns it on, so a Device that knows nothing of offloads behaves as
// before.
struct DeviceOffloads {
  // read() may return a TCP super-packet (packet.offload.gso_type tcpv4, larger than the MTU) or
  // a packet whose transport checksum is partial (offload.needs_checksum); the caller segments
  // and completes them before the bytes go anywhere.
  bool super_packet_reads = false;
  // write_packet() accepts a TCP super-packet described by packet.offload (needs_checksum, the
  // pseudo-header sum in the checksum field), which the stack takes as one packet.
  bool gso_writes = false;
};

// What a device is and can do, in one value: a wrapper (FaultyDevice, a tracer) forwards this
// one call and cannot forget a capability the engine relies on.
struct DeviceCapabilities {
  // tun: each packet is an IPv4/IPv6 packet; tap: each packet is an Ethernet frame.
  DeviceKind kind = DeviceKind::tun;
  // The MTU of the interface; a read never returns more than this, except a super-packet when
  // offloads.super_packet_reads.
  std::size_t mtu = 1500;
  DeviceOffloads offloads{};
  // tap: the interface's own MAC, when the backend knows it. Frames app B writes must carry it
  // (or the MAC the host stack sends from) as destination: the kernel's TCP drops segments that
  // arrived in a broadcast frame, so writing before the stack has sent anything needs it.
  std::optional<std::array<std::uint8_t, 6>> hardware_address;
  // read_many/write_many are the cheaper path (the kernel TUN device through io_uring: a system
  // call each costs more than the packet's own work on these machines). The engine batches only
  // then, so the simulator keeps its one-read-at-a-time order.
  bool batched_io = false;
};

class Device {
public:
  virtual ~Device() = default;

  // The interface name as the host stack knows it (tun0, tap0).
  virtual std::string_view name() const = 0;
  virtual DeviceCapabilities capabilities() const = 0;
  DeviceKind kind() const { return capabilities().kind; }
  std::size_t mtu() const { return capabilities().mtu; }

  // Reads one whole packet into `out` without blocking. would_block when the queue is empty;
  // truncated when the packet was longer than the read buffer (the kernel drops the rest).
  // Sets out.offload (default-constructed for an ordinary packet).
  virtual IoResult read(Packet& out) = 0;
  // Whether a packet waits, so that read() now would not report would_block; takes nothing.
  // For wrappers that act only on reads that find a packet (FaultyDevice draws its EAGAIN fault
  // there). The default, true, means "unknown: a read finds out".
  virtual bool readable() const { return true; }
  // Writes one whole packet. The caller passes exactly one IP packet (tun) or frame (tap).
  virtual IoResult write(ByteView packet) = 0;
  // The same, for a caller that no longer needs the packet: the simulator moves it instead of
  // copying, which keeps its per-hop path free of allocations. packet.offload is ignored.
  virtual IoResult write_packet(Packet&& packet) { return write(packet.bytes()); }
  // Writes a TCP super-packet described by packet.offload as one packet (a GSO write). Only when
  // capabilities().offloads.gso_writes; the packet is left as it was, because a kernel that
  // refuses GSO writes answers invalid_packet (EINVAL, as Linux 6.6.44 did for a short last
  // segment) and the caller then writes the segments one by one. The default refuses.
  virtual IoResult write_gso(const Packet& packet) {
    (void)packet;
    return {IoStatus::invalid_packet, 0, 0, EINVAL};
  }

  // The one batch API, with an outcome per packet. The defaults loop over read() and write();
  // a backend where one system call carries many packets overrides them and says so in
  // capabilities().batched_io.
  // Reads up to out.size() packets: results[i] is read i's outcome (a truncated one included).
  // Returns how many results it wrote; after a would_block or an error it stops, and that
  // result is the last one.
  virtual std::size_t read_many(std::span<Packet> out, std::span<IoResult> results);
  // Writes the packets in order (plain writes: packet.offload is ignored), results[i] for
  // packet i; returns how many were attempted, stopping after the first failure.
  virtual std::size_t write_many(std::span<const Packet> packets, std::span<IoResult> results);

  // A file descriptor that polls readable when read() would return a packet, or -1 when the
  // backend notifies its driver some other way (the simulator schedules an event).
  virtual int poll_fd() const { return -1; }
};

}  // namespace tunlab
