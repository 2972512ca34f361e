// The in-memory TUN/TAP device: the kernel's half (packets the host stack routes to tun0 queue
// here; packets app B writes enter the host stack) and app B's half (the Device interface).
// It behaves as drivers/net/tun.c does: EAGAIN when empty, EIO when down, silent drops when the
// queue (txqueuelen) is full. The read-side faults (spurious EAGAIN, a short read buffer) are
// not the device's: a FaultyDevice (tunlab/harness/faulty_device.hpp) wraps it for app B.
//
// Segmentation offloads (a tunnel's `offload: true`), as a tun with IFF_VNET_HDR and
// TUNSETOFFLOAD(TSO4): the host stack queues TCP super-packets here (Host::route_out), which
// read() returns with their GSO metadata; write_gso() takes a super-packet and cuts it into
// segments by the kernel's rules (segment_tcp4, the code app B splits with), each entering the
// stack as if written on its own.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/scenario/scenario.hpp"
#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/ring_queue.hpp"
#include "tunlab/tunnel/device.hpp"

namespace tunlab::sim {

class Host;
class Network;

class SimDevice final : public Device, public PacketEventHandler {
public:
  SimDevice(Network& network, Host& host, std::size_t interface, DeviceKind kind);

  std::string_view name() const override;
  // The interface's MTU as the host has it now; offloads as set_offloads left them.
  DeviceCapabilities capabilities() const override;
  IoResult read(Packet& out) override;
  bool readable() const override { return !queue_.empty(); }
  IoResult write(ByteView packet) override;
  IoResult write_packet(Packet&& packet) override;
  // invalid_packet (EINVAL) unless offloads are on and packet.offload describes a TCP/IPv4
  // super-packet the kernel would take (tcpv4, a segment size, a partial checksum at the TCP
  // checksum field); device_down (EIO) when down.
  IoResult write_gso(const Packet& packet) override;
  // TSO reads and GSO writes (a tun only; the scenario's loader and Network check the kind).
  void set_offloads(bool on) { offloads_ = on; }

  // Kernel side: the host stack hands a packet to the device (it becomes readable by app B).
  void deliver_from_stack(Packet&& packet);
  // App B's wake-up: run (as an event at the current virtual time) whenever the device becomes
  // readable, like a level-triggered epoll.
  void set_reader(std::function<void()> reader) { reader_ = std::move(reader); }
  // The device's own faults: queue_limit (txqueuelen) and down_at/up_at, scheduled here.
  void set_faults(const scenario::DeviceFaultSpec& faults);
  void set_up(bool up) { up_ = up; }
  bool up() const { return up_; }
  std::size_t queued() const { return queue_.size(); }
  // Drops every queued packet with `reason` (end of run accounting).
  void drain(DropReason reason);

  void handle_packet_event(std::uint32_t arg, Packet&& packet) override;

private:
  void wake_reader(Time delay = 0);

  Network& network_;
  Host& host_;
  std::size_t interface_;
  DeviceKind kind_;
  RingQueue<Packet> queue_;
  std::function<void()> reader_;
  bool wake_pending_ = false;
  bool up_ = true;
  bool offloads_ = false;
  std::vector<Packet> segments_;  // write_gso's scratch, reused
  std::size_t queue_limit_ = scenario::DeviceFaultSpec{}.queue_limit;
};

}  // namespace tunlab::sim
