#include "tunlab/tunnel/tunnel_engine.hpp"

#include <cstring>

#include "tunlab/wire/byte_order.hpp"

namespace tunlab {

namespace {

constexpr std::size_t kEthernetHeader = 14;
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeArp = 0x0806;

}  // namespace

std::vector<std::pair<std::string_view, std::uint64_t>> counter_fields(const TunnelCounters& c) {
  return {{"device_packets_read", c.device_packets_read},
          {"device_bytes_read", c.device_bytes_read},
          {"device_packets_written", c.device_packets_written},
          {"device_eagain", c.device_eagain},
          {"device_write_errors", c.device_write_errors},
          {"outer_packets_sent", c.outer_packets_sent},
          {"outer_bytes_sent", c.outer_bytes_sent},
          {"outer_packets_received", c.outer_packets_received},
          {"icmp_errors_received", c.icmp_errors_received},
          {"icmp_sent_to_inner", c.icmp_sent_to_inner},
          {"icmp_not_relayed", c.icmp_not_relayed},
          {"path_mtu_updates", c.path_mtu_updates},
          {"tap_arp_replies", c.tap_arp_replies},
          {"drops", c.drops.total()}};
}

AppCounters TunnelEngine::counters(std::int64_t now_ns) const {
  AppCounters out;
  for (const auto& [name, value] : counter_fields(counters_)) {
    out.emplace_back(name, value);
  }
  out.emplace_back("tunnel_mtu", tunnel_mtu(now_ns));
  return out;
}

TunnelEngine::TunnelEngine(TunnelConfig config, Device& device, Underlay& underlay)
    : config_(config), device_(device), underlay_(underlay) {
  // Encapsulation yields at most a few actions per packet unless it fragments; reserving here
  // keeps the per-packet path free of allocations.
  actions_.reserve(16);
}

std::size_t TunnelEngine::poll_device(std::int64_t now_ns, std::size_t budget) {
  std::size_t handled = 0;
  while (handled < budget) {
    const IoResult result = device_.read(read_buffer_);
    if (result.status == IoStatus::would_block) {
      ++counters_.device_eagain;
      break;
    }
    if (result.status == IoStatus::truncated) {
      // The kernel already discarded the tail; forwarding the head would corrupt the flow.
      ++handled;
      drop(read_buffer_, DropReason::device_read_truncated);
      continue;
    }
    if (!result.ok()) {
      ++counters_.device_write_errors;
      break;
    }
    ++handled;
    ++counters_.device_packets_read;
    counters_.device_bytes_read += read_buffer_.size();
    handle_from_device(std::move(read_buffer_), now_ns);
  }
  return handled;
}

void TunnelEngine::handle_from_device(Packet&& packet, std::int64_t now_ns) {
  if (device_.kind() == DeviceKind::tap && !handle_tap_frame(packet)) {
    return;
  }
  encapsulate(config_, state_, std::move(packet), now_ns, actions_);
  carry_out(now_ns);
}

std::size_t TunnelEngine::poll_underlay(std::int64_t now_ns, std::size_t budget) {
  std::size_t handled = 0;
  UnderlayError error;
  while (handled < budget) {
    const UnderlayEvent event = underlay_.receive(receive_buffer_, error);
    if (event == UnderlayEvent::nothing) {
      break;
    }
    ++handled;
    if (event == UnderlayEvent::packet) {
      ++counters_.outer_packets_received;
      decapsulate(config_, std::move(receive_buffer_), actions_);
    } else {
      ++counters_.icmp_errors_received;
      const std::size_t mtu_before = tunnel_mtu(now_ns);
      const RelayOutcome outcome = relay_icmp_error(config_, state_, error, receive_buffer_.bytes(), now_ns, actions_);
      if (tunnel_mtu(now_ns) != mtu_before) {
        ++counters_.path_mtu_updates;
      }
      if (outcome != RelayOutcome::relayed) {
        ++counters_.icmp_not_relayed;
      }
    }
    carry_out(now_ns);
  }
  return handled;
}

void TunnelEngine::carry_out(std::int64_t now_ns) {
  for (TunnelAction& action : actions_) {
    switch (action.kind) {
      case TunnelAction::Kind::send_outer: {
        const Packet& inner = action.packet;
        const std::uint32_t origin = inner.origin;
        const std::size_t inner_size = inner.size();
        const IoResult result = underlay_.send(action.outer, std::move(action.packet));
        if (result.ok()) {
          ++counters_.outer_packets_sent;
          counters_.outer_bytes_sent += inner_size + kOuterHeaderLength;
          break;
        }
        Packet lost;
        lost.origin = origin;
        if (result.status == IoStatus::message_too_big && result.mtu != 0) {
          // The local route's MTU is below what we assumed: learn it, as a 3/4 would teach us.
          state_.path_mtu = result.mtu;
          state_.path_mtu_learned_at_ns = now_ns;
          ++counters_.path_mtu_updates;
        }
        drop(lost,
             result.status == IoStatus::route_loop ? DropReason::encap_route_loop : DropReason::encap_send_failed);
        break;
      }
      case TunnelAction::Kind::write_device:
        write_to_device(action.packet, action.generated);
        break;
      case TunnelAction::Kind::drop:
        drop(action.packet, action.reason);
        break;
    }
  }
  actions_.clear();
}

void TunnelEngine::write_to_device(Packet& packet, bool generated_here) {
  // ICMP errors app B writes back (frag-needed, relays) are the network's own packets: they are
  // not the injected packet being delivered, so they lose its origin. A decapsulated packet keeps
  // its origin whatever its source address says (a peer may send one from our inner address).
  if (generated_here) {
    packet.origin = 0;
  }
  const std::uint32_t origin = packet.origin;
  if (device_.kind() == DeviceKind::tap) {
    std::uint8_t* frame = packet.push_front(kEthernetHeader);
    if (tap_peer_known_) {
      std::memcpy(frame, tap_peer_mac_.data(), 6);
    } else {
      std::memset(frame, 0xff, 6);
    }
    std::memcpy(frame + 6, kTapEngineMac.data(), 6);
    frame[12] = static_cast<std::uint8_t>(kEtherTypeIpv4 >> 8);
    frame[13] = static_cast<std::uint8_t>(kEtherTypeIpv4 & 0xff);
  }
  const IoResult result = device_.write_packet(std::move(packet));
  if (result.ok()) {
    ++counters_.device_packets_written;
    counters_.icmp_sent_to_inner += generated_here ? 1 : 0;
    return;
  }
  ++counters_.device_write_errors;
  Packet lost;
  lost.origin = origin;
  drop(lost, result.status == IoStatus::device_down ? DropReason::device_down : DropReason::decap_device_write_failed);
}

bool TunnelEngine::handle_tap_frame(Packet& frame) {
  if (frame.size() < kEthernetHeader) {
    drop(frame, DropReason::encap_malformed_inner);
    return false;
  }
  const std::uint16_t ether_type = load_be16(frame.data() + 12);
  std::memcpy(tap_peer_mac_.data(), frame.data() + 6, 6);
  tap_peer_known_ = true;
  if (ether_type == kEtherTypeArp) {
    // App B stands in for every address behind the tunnel (proxy ARP), so the host stack sends
    // all tunnelled traffic to our MAC.
    constexpr std::size_t kArpLength = 28;
    if (frame.size() < kEthernetHeader + kArpLength) {
      drop(frame, DropReason::encap_malformed_inner);
      return false;
    }
    std::uint8_t* arp = frame.data() + kEthernetHeader;
    const bool is_ipv4_request = load_be16(arp) == 1 && load_be16(arp + 2) == kEtherTypeIpv4 && arp[4] == 6 &&
                                 arp[5] == 4 && load_be16(arp + 6) == 1;
    if (!is_ipv4_request || std::memcmp(arp + 14, arp + 24, 4) == 0) {
      return false;  // a reply, or a gratuitous ARP: nothing to answer
    }
    std::array<std::uint8_t, 10> requester{};
    std::memcpy(requester.data(), arp + 8, 10);  // sender MAC + sender IP
    std::array<std::uint8_t, 4> target_ip{};
    std::memcpy(target_ip.data(), arp + 24, 4);
    arp[7] = 2;  // reply
    std::memcpy(arp + 8, kTapEngineMac.data(), 6);
    std::memcpy(arp + 14, target_ip.data(), 4);
    std::memcpy(arp + 18, requester.data(), 10);
    std::memcpy(frame.data(), requester.data(), 6);
    std::memcpy(frame.data() + 6, kTapEngineMac.data(), 6);
    frame.resize(kEthernetHeader + kArpLength);
    frame.origin = 0;
    if (device_.write_packet(std::move(frame)).ok()) {
      ++counters_.tap_arp_replies;
    }
    return false;
  }
  if (ether_type != kEtherTypeIpv4) {
    drop(frame, DropReason::encap_not_ipv4);
    return false;
  }
  frame.pull_front(kEthernetHeader);
  return true;
}

void TunnelEngine::drop(const Packet& packet, DropReason reason) {
  counters_.drops.add(reason);
  if (drop_observer_) {
    drop_observer_(packet, reason);
  }
}

}  // namespace tunlab
