// Socket B in the simulator: a raw IPPROTO_IPIP socket on a simulated host. Sending writes the
// outer header the engine chose (IP_HDRINCL semantics) and hands the packet to the host stack;
// the stack queues received IPIP packets and ICMP errors about them here. A tunnel program's UDP
// sockets live here too: the host hands datagrams to the ports they bound.
#pragma once

#include <functional>

#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/ring_queue.hpp"
#include "tunlab/tunnel/underlay.hpp"

namespace tunlab::sim {

class Host;
class Network;

class SimUnderlay final : public Underlay {
public:
  // `tunnel_interface` is the device the engine serves; a route to the remote endpoint through
  // it would loop (RFC 2003 §3: ip_tunnel.c counts these as collisions).
  SimUnderlay(Network& network, Host& host, std::size_t tunnel_interface);

  IoResult send(const OuterHeader& outer, Packet&& inner) override;
  UnderlayEvent receive(Packet& out, UnderlayError& error) override;
  bool udp_supported() const override { return true; }
  bool bind_udp(std::uint16_t port) override;
  IoResult send_udp(const OuterHeader& outer, std::uint16_t src_port, std::uint16_t dst_port,
                    Packet&& payload) override;

  // Host side.
  void deliver(Packet&& outer);
  void deliver_error(const UnderlayError& error, Packet&& quoted);
  void set_reader(std::function<void()> reader) { reader_ = std::move(reader); }
  std::size_t queued() const { return queue_.size(); }

private:
  struct Item {
    bool is_error = false;
    UnderlayError error;
    Packet packet;
  };
  void wake_reader();
  // `payload` behind an IPv4 header with `outer`'s fields and `protocol`, into the host's stack.
  IoResult send_behind(const OuterHeader& outer, std::uint8_t protocol, Packet&& payload);

  Network& network_;
  Host& host_;
  std::size_t tunnel_interface_;
  RingQueue<Item> queue_;
  std::function<void()> reader_;
  bool wake_pending_ = false;
};

}  // namespace tunlab::sim
