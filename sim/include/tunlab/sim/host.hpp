// A simulated host's IPv4 stack: interfaces, a routing table, forwarding with TTL decrement on
// routers, local delivery to applications (UDP, TCP segments, ICMP echo), ICMP errors
// (unreachable, time exceeded, fragmentation needed), fragmentation and reassembly, raw IPIP
// sockets, and ARP on TAP interfaces.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tunlab/scenario/scenario.hpp"
#include "tunlab/sim/event_queue.hpp"
#include "tunlab/sim/interface.hpp"
#include "tunlab/sim/reassembler.hpp"
#include "tunlab/tunnel/io_result.hpp"
#include "tunlab/wire/routing_table.hpp"

namespace tunlab::sim {

class Network;
class SimUnderlay;

// What the applications on a host received, for expectations.
struct AppLog {
  struct Datagram {
    Time at = 0;
    std::uint8_t protocol = 0;  // 17 UDP, 6 TCP
    std::uint16_t port = 0;
    std::size_t bytes = 0;  // payload bytes
    std::uint32_t origin = 0;
    std::uint64_t digest = 0;  // payload_digest() of the payload
  };
  struct IcmpError {
    Time at = 0;
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint16_t mtu = 0;
  };
  std::vector<Datagram> datagrams;
  std::vector<IcmpError> icmp_errors;
  std::uint64_t echo_replies = 0;
};

class Host final : public PacketEventHandler {
public:
  Host(Network& network, std::string name, std::size_t index, bool forwarding);

  const std::string& name() const { return name_; }
  bool forwarding() const { return forwarding_; }

  std::size_t add_interface(const scenario::InterfaceSpec& spec);
  Interface& interface(std::size_t index) { return interfaces_[index]; }
  const Interface& interface(std::size_t index) const { return interfaces_[index]; }
  std::optional<std::size_t> find_interface(const std::string& name) const;
  std::size_t interface_count() const { return interfaces_.size(); }
  RoutingTable& routes() { return routes_; }
  bool is_local_address(std::uint32_t address) const;
  // The source address Linux would pick for `destination`: the egress interface's address.
  std::optional<Ipv4Address> source_for(Ipv4Address destination) const;

  void set_udp_listen(std::vector<std::uint16_t> ports) { udp_listen_ = std::move(ports); }
  void attach_raw_ipip(SimUnderlay& socket) { raw_ipip_.push_back(&socket); }
  // A tunnel's UDP socket claims `port`: datagrams to it go to the socket, not to app A. False
  // when another socket has it (EADDRINUSE).
  bool bind_udp(std::uint16_t port, SimUnderlay& socket);

  // An application on this host sends a whole IPv4 packet (app A's socket, or a replayed one).
  // It goes out as Linux's IP_HDRINCL send makes it (as_sent_by_app).
  void send_from_app(Packet&& packet);
  // What Linux's raw_send_hdrinc does to a whole packet an application hands over: the total
  // length becomes the number of bytes given and the header checksum is recomputed. Otherwise a
  // total length below the bytes could leave nothing to fragment and the packet would vanish.
  static void as_sent_by_app(Packet& packet);
  // A locally generated packet leaves through the stack. The result tells a raw socket sender
  // about EMSGSIZE, a route loop through `loop_interface`, or no route.
  IoResult send_local(Packet&& packet, std::size_t loop_interface = SIZE_MAX);
  // A packet arrives on `interface` (from a link or written into a TUN/TAP device by app B).
  void receive(std::size_t interface, Packet&& packet);

  // What the host's applications received. Datagrams are kept here only while keep_datagrams is
  // on (the default); scenario runs judge them as they arrive, through the observer, and turn it
  // off (a post_run hook that wants them turns it back on in pre_run).
  const AppLog& app_log() const { return app_log_; }
  using DatagramObserver = std::function<void(const AppLog::Datagram&)>;
  void set_datagram_observer(DatagramObserver observer) { datagram_observer_ = std::move(observer); }
  void keep_datagrams(bool keep) { keep_datagrams_ = keep; }
  Reassembler& reassembler() { return reassembler_; }

  void handle_packet_event(std::uint32_t arg, Packet&& packet) override;

private:
  void receive_ip(std::size_t interface, Packet&& packet);
  void receive_ethernet_frame(std::size_t interface, Packet&& frame);
  void forward(std::size_t in_interface, Packet&& packet);
  void deliver_locally(std::size_t interface, Packet&& packet);
  void deliver_icmp(std::size_t interface, Packet&& packet);
  void deliver_transport(Packet&& packet, std::uint8_t protocol);
  SimUnderlay* udp_socket_quoted(ByteView quoted) const;  // the tunnel UDP socket that sent it
  // Routes and transmits; `forwarded` selects router behaviour for errors.
  IoResult route_out(Packet&& packet, bool forwarded, std::size_t loop_interface);
  void transmit(std::size_t interface, std::uint32_t next_hop, Packet&& packet);
  void transmit_on_tap(std::size_t interface, std::uint32_t next_hop, Packet&& packet);
  void send_arp(std::size_t interface, std::uint16_t operation, const MacAddress& target_mac, std::uint32_t target_ip);
  void send_icmp_error(std::uint8_t type, std::uint8_t code, std::uint16_t mtu, const Packet& offending,
                       std::size_t in_interface);
  void drop(const Packet& packet, DropReason reason);

  Network& network_;
  std::string name_;
  std::size_t index_;
  bool forwarding_;
  std::vector<Interface> interfaces_;
  RoutingTable routes_;
  std::vector<std::uint16_t> udp_listen_;
  std::vector<SimUnderlay*> raw_ipip_;
  std::map<std::uint16_t, SimUnderlay*> udp_bound_;
  Reassembler reassembler_;
  AppLog app_log_;
  DatagramObserver datagram_observer_;
  bool keep_datagrams_ = true;
  std::uint16_t next_ip_id_ = 1;
  std::vector<Packet> fragments_;        // scratch for fragmentation, reused
  std::vector<std::uint8_t> tcp_write_;  // a TCP write completed by its last segment
};

}  // namespace tunlab::sim
