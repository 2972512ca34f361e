#include "tunlab/sim/host.hpp"

#include <algorithm>
#include <cstring>

#include "tunlab/sim/link.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/sim/payload_digest.hpp"
#include "tunlab/sim/sim_device.hpp"
#include "tunlab/sim/sim_underlay.hpp"
#include "tunlab/wire/arp.hpp"
#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet_builder.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/tcp_offload.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::sim {

namespace {

constexpr std::size_t kEthernetHeader = EthernetView::kHeader;

// Verifies the UDP/TCP checksum of a whole (reassembled) packet; a UDP checksum of 0 means none.
// Whether the stack may queue TCP super-packets on `out`: a tun whose reader asked for offloads.
bool offers_tso(const Interface& out) {
  return out.kind == scenario::InterfaceKind::tun && out.device != nullptr &&
         out.device->capabilities().offloads.super_packet_reads;
}

bool transport_checksum_ok(const Ipv4View& ip) {
  const ByteView segment = ip.payload();
  if (const auto udp = UdpView::parse(segment); ip.protocol() == ipproto::kUdp && udp && udp->checksum() == 0) {
    return true;
  }
  return internet_checksum(segment, pseudo_header_sum(ip.src(), ip.dst(), ip.protocol(), segment.size())) == 0;
}

// A forwarded packet as it arrived, TTL not yet decremented: Linux looks up the route and checks
// the MTU before ip_forward decrements the TTL, so its 3/0 and 3/4 errors quote the TTL the packet
// came in with (found by comparing with the real backend's captures).
Packet as_received(const Packet& forwarded) {
  Packet copy(forwarded.bytes());
  copy.origin = forwarded.origin;
  ipv4_edit::set_ttl(copy.mutable_bytes(), static_cast<std::uint8_t>(ipv4_peek::ttl(forwarded.bytes()) + 1));
  return copy;
}

}  // namespace

Host::Host(Network& network, std::string name, std::size_t index, bool forwarding)
    : network_(network), name_(std::move(name)), index_(index), forwarding_(forwarding) {
  fragments_.reserve(8);
}

std::size_t Host::add_interface(const scenario::InterfaceSpec& spec) {
  Interface iface;
  iface.name = spec.name;
  iface.label = name_ + "-" + spec.name;
  iface.id = network_.next_interface_id();
  iface.kind = spec.kind;
  iface.address = to_host_order(spec.address);
  iface.prefix_length = spec.prefix_length;
  iface.mtu = spec.mtu;
  // Locally administered, derived from host and interface index: the same in every run.
  iface.mac = {
      0x02, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(index_ + 1), static_cast<std::uint8_t>(interfaces_.size() + 1)};
  interfaces_.push_back(std::move(iface));
  const std::size_t index = interfaces_.size() - 1;
  if (spec.prefix_length > 0) {
    routes_.add(spec.address, spec.prefix_length, index);
  }
  return index;
}

std::optional<std::size_t> Host::find_interface(const std::string& name) const {
  for (std::size_t i = 0; i < interfaces_.size(); ++i) {
    if (interfaces_[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}

bool Host::is_local_address(std::uint32_t address) const {
  return std::any_of(interfaces_.begin(), interfaces_.end(), [&](const Interface& i) { return i.address == address; });
}

std::optional<Ipv4Address> Host::source_for(Ipv4Address destination) const {
  const Route* route = routes_.lookup(destination);
  if (route == nullptr) {
    return std::nullopt;
  }
  return from_host_order(interfaces_[route->interface].address);
}

void Host::drop(const Packet& packet, DropReason reason) {
  network_.dropped(packet, reason, *this);
}

void Host::as_sent_by_app(Packet& packet) {
  const auto ip = Ipv4View::parse(packet.bytes());
  if (ip && ip->total_length() != packet.size() && packet.size() <= 0xffff) {
    store_be16(packet.data() + 2, static_cast<std::uint16_t>(packet.size()));
    ipv4_edit::recompute_checksum(packet.mutable_bytes().first(ip->header_length()));
  }
}

void Host::send_from_app(Packet&& packet) {
  if (!Ipv4View::parse(packet.bytes())) {
    drop(packet, DropReason::bad_ip_header);
    return;
  }
  as_sent_by_app(packet);
  route_out(std::move(packet), false, SIZE_MAX);
}

IoResult Host::send_local(Packet&& packet, std::size_t loop_interface) {
  return route_out(std::move(packet), false, loop_interface);
}

IoResult Host::route_out(Packet&& packet, bool forwarded, std::size_t loop_interface) {
  const Ipv4View ip = *Ipv4View::parse(packet.bytes());
  if (!forwarded && is_local_address(ip.dst_raw())) {
    // Linux's local table routes a host's own addresses to itself (over lo), never out of tun0.
    deliver_locally(SIZE_MAX, std::move(packet));
    return {IoStatus::ok, 0};
  }
  const Route* route = routes_.lookup(ip.dst_raw());
  if (route == nullptr) {
    if (forwarded) {
      send_icmp_error(icmp::kDestUnreachable, icmp::kNetUnreachable, 0, as_received(packet), SIZE_MAX);
    }
    drop(packet, DropReason::no_route);
    return {IoStatus::no_route};
  }
  if (route->interface == loop_interface) {
    // The caller drops and counts it as a route loop.
    return {IoStatus::route_loop};
  }
  Interface& out = interfaces_[route->interface];
  if (!out.up) {
    drop(packet, DropReason::link_down);
    return {IoStatus::device_down};
  }
  const std::uint32_t next_hop = route->gateway ? to_host_order(*route->gateway) : ip.dst_raw();
  if (!forwarded && packet.size() > out.mtu && offers_tso(out) && describe_tcp4_super_packet(packet, out.mtu)) {
    // A TSO-capable tun takes a local TCP write larger than its MTU as one super-packet with a
    // partial checksum, segments of MTU - headers (the MSS); app B splits it (tcp_output and
    // tun's IFF_VNET_HDR do the same). The receiving socket hands the app the write whole.
    const ByteView bytes = packet.bytes();
    network_.tcp_writes().sent(packet.origin, load_be32(bytes.data() + ip.header_length() + 4),
                               packet.size() - packet.offload.header_length);
    transmit(route->interface, next_hop, std::move(packet));
    return {IoStatus::ok, 0};
  }
  if (packet.size() <= out.mtu) {
    transmit(route->interface, next_hop, std::move(packet));
    return {IoStatus::ok, 0};
  }
  if (ip.df()) {
    if (forwarded) {
      send_icmp_error(icmp::kDestUnreachable, icmp::kFragNeeded, static_cast<std::uint16_t>(out.mtu),
                      as_received(packet), SIZE_MAX);
      drop(packet, DropReason::fragmentation_needed);
      return {IoStatus::message_too_big, 0, static_cast<std::uint32_t>(out.mtu)};
    }
    // A local sender with DF set learns through EMSGSIZE, as on Linux.
    if (loop_interface == SIZE_MAX) {
      drop(packet, DropReason::fragmentation_needed);
    }
    return {IoStatus::message_too_big, 0, static_cast<std::uint32_t>(out.mtu)};
  }
  fragments_.clear();
  fragment_ipv4(packet, out.mtu, fragments_);
  for (Packet& fragment : fragments_) {
    transmit(route->interface, next_hop, std::move(fragment));
  }
  return {IoStatus::ok, 0};
}

void Host::transmit(std::size_t index, std::uint32_t next_hop, Packet&& packet) {
  Interface& out = interfaces_[index];
  if (out.kind == scenario::InterfaceKind::tap) {
    transmit_on_tap(index, next_hop, std::move(packet));
    return;
  }
  network_.observe(out, Direction::out, packet);
  if (out.link != nullptr) {
    out.link->send(out.link_side, std::move(packet));
  } else if (out.device != nullptr) {
    out.device->deliver_from_stack(std::move(packet));
  } else {
    drop(packet, DropReason::link_down);
  }
}

void Host::transmit_on_tap(std::size_t index, std::uint32_t next_hop, Packet&& packet) {
  Interface& out = interfaces_[index];
  auto known = out.neighbours.find(next_hop);
  if (known == out.neighbours.end()) {
    auto& waiting = out.awaiting_arp[next_hop];
    waiting.push_back(std::move(packet));
    if (waiting.size() == 1) {
      send_arp(index, arp::kRequest, kBroadcastMac, next_hop);
    }
    return;
  }
  write_ethernet_header({packet.push_front(kEthernetHeader), kEthernetHeader}, known->second, out.mac,
                        ethertype::kIpv4);
  network_.observe(out, Direction::out, packet);
  if (out.device != nullptr) {
    out.device->deliver_from_stack(std::move(packet));
  }
}

void Host::send_arp(std::size_t index, std::uint16_t operation, const MacAddress& target_mac, std::uint32_t target_ip) {
  Interface& out = interfaces_[index];
  Packet frame = build_arp_frame({.operation = operation,
                                  .sender_mac = out.mac,
                                  .sender_ip = from_host_order(out.address),
                                  .target_mac = operation == arp::kRequest ? MacAddress{} : target_mac,
                                  .target_ip = from_host_order(target_ip)},
                                 target_mac);
  network_.observe(out, Direction::out, frame);
  if (out.device != nullptr) {
    out.device->deliver_from_stack(std::move(frame));
  }
}

void Host::handle_packet_event(std::uint32_t arg, Packet&& packet) {
  receive(arg, std::move(packet));
}

void Host::receive(std::size_t index, Packet&& packet) {
  Interface& in = interfaces_[index];
  if (!in.up) {
    drop(packet, DropReason::link_down);
    return;
  }
  if (in.kind == scenario::InterfaceKind::tap) {
    network_.observe(in, Direction::in, packet);
    receive_ethernet_frame(index, std::move(packet));
    return;
  }
  network_.observe(in, Direction::in, packet);
  receive_ip(index, std::move(packet));
}

void Host::receive_ethernet_frame(std::size_t index, Packet&& frame) {
  Interface& in = interfaces_[index];
  const auto ethernet = EthernetView::parse(frame.bytes());
  if (!ethernet) {
    drop(frame, DropReason::bad_ip_header);
    return;
  }
  const auto message = ethernet->ethertype() == ethertype::kArp ? ArpView::parse(ethernet->payload()) : std::nullopt;
  if (message) {
    const MacAddress sender = message->sender_mac();
    const std::uint32_t sender_ip = to_host_order(message->sender_ip());
    in.neighbours[sender_ip] = sender;
    if (message->operation() == arp::kRequest && to_host_order(message->target_ip()) == in.address) {
      send_arp(index, arp::kReply, sender, sender_ip);
    }
    auto waiting = in.awaiting_arp.find(sender_ip);
    if (waiting != in.awaiting_arp.end()) {
      std::vector<Packet> packets = std::move(waiting->second);
      in.awaiting_arp.erase(waiting);
      for (Packet& p : packets) {
        transmit_on_tap(index, sender_ip, std::move(p));
      }
    }
    return;
  }
  if (ethernet->ethertype() != ethertype::kIpv4) {
    drop(frame, DropReason::bad_ip_header);
    return;
  }
  frame.pull_front(kEthernetHeader);
  receive_ip(index, std::move(frame));
}

void Host::receive_ip(std::size_t index, Packet&& packet) {
  const auto ip = Ipv4View::parse(packet.bytes());
  if (!ip || ip->total_length() < ip->header_length() || ip->total_length() > packet.size() ||
      !ip->header_checksum_ok()) {
    drop(packet, DropReason::bad_ip_header);
    return;
  }
  if (ip->total_length() < packet.size()) {
    packet.resize(ip->total_length());  // link padding
  }
  if (is_local_address(ip->dst_raw())) {
    deliver_locally(index, std::move(packet));
    return;
  }
  if (!forwarding_) {
    drop(packet, DropReason::not_for_this_host);
    return;
  }
  forward(index, std::move(packet));
}

void Host::forward(std::size_t in_interface, Packet&& packet) {
  const std::uint8_t ttl = ipv4_peek::ttl(packet.bytes());
  if (ttl <= 1) {
    send_icmp_error(icmp::kTimeExceeded, icmp::kTtlExceeded, 0, packet, in_interface);
    drop(packet, DropReason::ttl_exceeded);
    return;
  }
  ipv4_edit::set_ttl(packet.mutable_bytes(), static_cast<std::uint8_t>(ttl - 1));
  route_out(std::move(packet), true, SIZE_MAX);
}

void Host::deliver_locally(std::size_t index, Packet&& packet) {
  const Ipv4View ip = *Ipv4View::parse(packet.bytes());
  if (ip.is_fragment()) {
    // Linux's ip_frag_queue discards a fragment that would end past 65535 bytes.
    if (ip.header_length() + ip.fragment_offset_bytes() + ip.payload().size() > 0xffff) {
      drop(packet, DropReason::fragment_past_64k);
      return;
    }
    // The 30 s reassembly timeout (ipfrag_time): datagrams that waited longer are dropped before a
    // new fragment could complete them. Checked whenever a fragment arrives; those still waiting at
    // the end of the run are settled as reassembly-incomplete.
    reassembler_.expire(network_.now(), [this](std::uint32_t origin) {
      network_.accounting().settle(origin, DropReason::reassembly_incomplete);
    });
    Packet whole;
    std::vector<std::uint32_t> merged;
    if (!reassembler_.add(std::move(packet), network_.now(), whole, merged)) {
      return;  // waits for the other fragments; settled at the end of the run if they never come
    }
    for (std::uint32_t origin : merged) {
      network_.accounting().merge(origin, whole.origin);
    }
    packet = std::move(whole);
  }
  const std::uint8_t protocol = Ipv4View::parse(packet.bytes())->protocol();
  switch (protocol) {
    case ipproto::kIpip:
      if (raw_ipip_.empty()) {
        send_icmp_error(icmp::kDestUnreachable, icmp::kProtocolUnreachable, 0, packet, index);
        drop(packet, DropReason::protocol_unreachable);
        return;
      }
      // Every raw socket for protocol 4 gets a copy (raw(7)); the last one takes the original.
      for (std::size_t i = 0; i + 1 < raw_ipip_.size(); ++i) {
        raw_ipip_[i]->deliver(Packet(packet.bytes()));
      }
      raw_ipip_.back()->deliver(std::move(packet));
      return;
    case ipproto::kIcmp:
      deliver_icmp(index, std::move(packet));
      return;
    case ipproto::kUdp:
    case ipproto::kTcp:
      deliver_transport(std::move(packet), protocol);
      return;
    default:
      send_icmp_error(icmp::kDestUnreachable, icmp::kProtocolUnreachable, 0, packet, index);
      drop(packet, DropReason::protocol_unreachable);
  }
}

void Host::deliver_transport(Packet&& packet, std::uint8_t protocol) {
  const Ipv4View ip = *Ipv4View::parse(packet.bytes());
  const ByteView segment = ip.payload();
  const auto udp = protocol == ipproto::kUdp ? UdpView::parse(segment) : std::nullopt;
  const auto tcp = protocol == ipproto::kTcp ? TcpView::parse(segment) : std::nullopt;
  if ((!udp && !tcp) || !transport_checksum_ok(ip)) {
    drop(packet, DropReason::bad_checksum);
    return;
  }
  const std::uint16_t port = udp ? udp->dst_port() : tcp->dst_port();
  if (udp) {
    if (const auto bound = udp_bound_.find(port); bound != udp_bound_.end()) {
      bound->second->deliver(std::move(packet));  // a tunnel's UDP socket: its app B accounts for it
      return;
    }
  }
  const std::size_t payload = udp ? udp->payload().size() : tcp->payload().size();
  const bool listening =
      udp_listen_.empty() || std::find(udp_listen_.begin(), udp_listen_.end(), port) != udp_listen_.end();
  if (!listening) {
    if (protocol == ipproto::kUdp) {
      send_icmp_error(icmp::kDestUnreachable, icmp::kPortUnreachable, 0, packet, SIZE_MAX);
    }
    drop(packet, DropReason::port_unreachable);
    return;
  }
  AppLog::Datagram datagram{network_.now(), protocol,      port,
                            payload,        packet.origin, payload_digest(segment.last(payload))};
  if (tcp && network_.tcp_writes().registered(packet.origin)) {
    // A segment of a write sent as a TSO super-packet: the app reads the write once it is whole.
    const TcpWrites::Arrival arrival =
        network_.tcp_writes().arrived(packet.origin, tcp->seq(), tcp->payload(), tcp_write_);
    if (arrival == TcpWrites::Arrival::partial) {
      return;
    }
    if (arrival == TcpWrites::Arrival::duplicate) {
      // Bytes the socket had: a duplicate delivery once the write was read, nothing before.
      if (network_.accounting().fate(packet.origin) == Accounting::Fate::delivered) {
        network_.accounting().delivered(packet.origin);
      }
      return;
    }
    datagram.bytes = tcp_write_.size();
    datagram.digest = payload_digest(tcp_write_);
  }
  if (datagram_observer_) {
    datagram_observer_(datagram);
  }
  if (keep_datagrams_) {
    app_log_.datagrams.push_back(datagram);
  }
  network_.accounting().delivered(packet.origin);
}

bool Host::bind_udp(std::uint16_t port, SimUnderlay& socket) {
  return udp_bound_.emplace(port, &socket).second;
}

SimUnderlay* Host::udp_socket_quoted(ByteView quoted_bytes) const {
  const auto quoted = Ipv4View::parse(quoted_bytes);
  if (!quoted || quoted->protocol() != ipproto::kUdp || quoted->fragment_offset_bytes() != 0 ||
      quoted->payload().size() < 2 || !is_local_address(quoted->src_raw())) {
    return nullptr;
  }
  const std::uint16_t src_port = static_cast<std::uint16_t>((quoted->payload()[0] << 8) | quoted->payload()[1]);
  const auto bound = udp_bound_.find(src_port);
  return bound != udp_bound_.end() ? bound->second : nullptr;
}

void Host::deliver_icmp(std::size_t index, Packet&& packet) {
  const Ipv4View ip = *Ipv4View::parse(packet.bytes());
  const auto icmp = IcmpView::parse(ip.payload());
  if (!icmp || !icmp->checksum_ok()) {
    drop(packet, DropReason::bad_checksum);
    return;
  }
  if (icmp->type() == icmp::kEchoRequest) {
    // Echo replies carry the request's data (RFC 792).
    Packet reply = build_icmp_echo({.src = ip.dst(),
                                    .dst = ip.src(),
                                    .ident = icmp->ident(),
                                    .sequence = icmp->sequence(),
                                    .payload_size = icmp->payload().size(),
                                    .data = icmp->payload(),
                                    .reply = true,
                                    .tos = ip.tos(),
                                    .ttl = 64,
                                    .id = next_ip_id_++,
                                    // Linux answers from its per-namespace ICMP socket, whose
                                    // pmtudisc is IP_PMTUDISC_DONT: a reply never carries DF,
                                    // whatever the request had (seen on the real backend).
                                    .df = false});
    network_.accounting().delivered(packet.origin);
    route_out(std::move(reply), false, SIZE_MAX);
    return;
  }
  if (icmp->type() == icmp::kEchoReply) {
    ++app_log_.echo_replies;
    network_.accounting().delivered(packet.origin);
    return;
  }
  if (icmp->is_error()) {
    const auto quoted = Ipv4View::parse(icmp->quoted());
    if (quoted && quoted->protocol() == ipproto::kIpip && !raw_ipip_.empty()) {
      // IP_RECVERR: errors about protocol-4 packets go to the raw sockets' error queues.
      const UnderlayError error{ip.src(), icmp->type(), icmp->code(), icmp->next_hop_mtu()};
      for (SimUnderlay* socket : raw_ipip_) {
        socket->deliver_error(error, Packet(icmp->quoted()));
      }
    } else if (SimUnderlay* socket = udp_socket_quoted(icmp->quoted())) {
      // IP_RECVERR on a tunnel's UDP socket: the error about the datagram it sent.
      socket->deliver_error({ip.src(), icmp->type(), icmp->code(), icmp->next_hop_mtu()}, Packet(icmp->quoted()));
    } else {
      app_log_.icmp_errors.push_back({network_.now(), icmp->type(), icmp->code(), icmp->next_hop_mtu()});
    }
    network_.accounting().delivered(packet.origin);
    return;
  }
  (void)index;
  network_.accounting().delivered(packet.origin);
}

void Host::send_icmp_error(std::uint8_t type, std::uint8_t code, std::uint16_t mtu, const Packet& offending,
                           std::size_t in_interface) {
  if (!may_send_icmp_error_about(offending.bytes())) {
    return;
  }
  const Ipv4View ip = *Ipv4View::parse(offending.bytes());
  // Linux answers from the address of the interface the offending packet came in on.
  std::uint32_t source = 0;
  if (in_interface < interfaces_.size()) {
    source = interfaces_[in_interface].address;
  } else if (auto chosen = source_for(ip.src())) {
    source = to_host_order(*chosen);
  } else {
    return;
  }
  Packet error = build_icmp_error(from_host_order(source), ip.src(), type, code, mtu, offending.bytes());
  // Linux sends the errors it originates with precedence 6, internetwork control (icmp.c,
  // __icmp_send: tos | IPTOS_PREC_INTERNETCONTROL); so do the simulated stacks.
  ipv4_edit::set_tos(error.mutable_bytes(), 0xc0);
  error.origin = 0;
  route_out(std::move(error), false, SIZE_MAX);
}

}  // namespace tunlab::sim
