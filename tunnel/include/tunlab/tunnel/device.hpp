// Device: the TUN/TAP interface app B reads and writes (the seed's /dev/net/tun). Backends are
// siblings: sim::SimDevice (in memory) and real::TunDevice (/dev/net/tun); the tunnel engine only
// ever sees this interface.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "tunlab/tunnel/io_result.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

enum class DeviceKind { tun, tap };

class Device {
public:
  virtual ~Device() = default;

  // The interface name as the host stack knows it (tun0, tap0).
  virtual std::string_view name() const = 0;
  // tun: each packet is an IPv4/IPv6 packet; tap: each packet is an Ethernet frame.
  virtual DeviceKind kind() const = 0;
  // The MTU of the interface; a TUN read never returns more than this (no GSO here).
  virtual std::size_t mtu() const = 0;

  // Reads one whole packet into `out` without blocking. would_block when the queue is empty;
  // truncated when the packet was longer than the read buffer (the kernel drops the rest).
  virtual IoResult read(Packet& out) = 0;
  // Writes one whole packet. The caller passes exactly one IP packet (tun) or frame (tap).
  virtual IoResult write(ByteView packet) = 0;
  // The same, for a caller that no longer needs the packet: the simulator moves it instead of
  // copying, which keeps its per-hop path free of allocations.
  virtual IoResult write_packet(Packet&& packet) { return write(packet.bytes()); }

  // Batching: reads up to out.size() packets and returns how many were read (0 = would block).
  // Backends with a faster path (multi-queue, recvmmsg-style) override these.
  virtual std::size_t read_batch(std::span<Packet> out);
  virtual std::size_t write_batch(std::span<const Packet> packets);

  // A file descriptor that polls readable when read() would return a packet, or -1 when the
  // backend notifies its driver some other way (the simulator schedules an event).
  virtual int poll_fd() const { return -1; }
};

}  // namespace tunlab
