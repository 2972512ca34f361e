#include "tunlab/tunnel/tunnel_engine.hpp"

#include <algorithm>

#include "tunlab/wire/arp.hpp"
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab {

namespace {

constexpr std::size_t kEthernetHeader = EthernetView::kHeader;

}  // namespace

namespace {

std::vector<std::pair<std::string_view, std::uint64_t>> base_counter_fields(const TunnelCounters& c) {
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

}  // namespace

std::vector<std::pair<std::string_view, std::uint64_t>> counter_fields(const TunnelCounters& c) {
  auto fields = base_counter_fields(c);
  // Shown once a read failed, so every summary of a run without one reads as before.
  if (c.device_read_errors != 0) {
    fields.insert(fields.begin() + 5, {"device_read_errors", c.device_read_errors});
  }
  const std::vector<std::pair<std::string_view, std::uint64_t>> offload = {
      {"device_super_packets_read", c.device_super_packets_read},
      {"device_segments_from_super", c.device_segments_from_super},
      {"device_checksums_completed", c.device_checksums_completed},
      {"device_super_packets_written", c.device_super_packets_written},
      {"device_segments_coalesced", c.device_segments_coalesced},
      {"device_gso_write_refusals", c.device_gso_write_refusals}};
  for (const auto& field : offload) {
    if (field.second != 0) {
      // Before "drops", which stays last.
      fields.insert(fields.end() - 1, offload.begin(), offload.end());
      break;
    }
  }
  return fields;
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
  send_batch_.resize(std::max<std::size_t>(1, underlay_.send_batch_size()));
  send_notes_.resize(send_batch_.size());
  const DeviceCapabilities can = device_.capabilities();
  batched_io_ = can.batched_io;
  if (batched_io_) {
    write_batch_.resize(kDeviceBatch);
    write_notes_.resize(kDeviceBatch);
    write_results_.resize(kDeviceBatch);
  }
  coalesce_ = can.offloads.gso_writes;
  if (can.hardware_address && can.kind == DeviceKind::tap) {
    tap_peer_mac_ = *can.hardware_address;
    tap_peer_known_ = true;
  }
}

std::size_t TunnelEngine::poll_device(std::int64_t now_ns, std::size_t budget) {
  if (batched_io_) {
    return poll_device_batched(now_ns, budget);
  }
  std::size_t handled = 0;
  while (handled < budget) {
    read_buffer_.offload = OffloadInfo{};
    const IoResult result = device_.read(read_buffer_);
    if (!take_read(result, read_buffer_, now_ns, handled)) {
      break;
    }
  }
  flush_sends(now_ns);
  return handled;
}

std::size_t TunnelEngine::poll_device_batched(std::int64_t now_ns, std::size_t budget) {
  if (read_batch_.empty()) {
    read_batch_.resize(kDeviceBatch);
    read_results_.resize(kDeviceBatch);
  }
  std::size_t handled = 0;
  bool more = true;
  while (more && handled < budget) {
    const std::size_t ask = std::min(read_batch_.size(), budget - handled);
    const std::size_t got =
        device_.read_many(std::span<Packet>(read_batch_.data(), ask), std::span<IoResult>(read_results_.data(), ask));
    more = got != 0;
    // Every result is taken, also those after a would_block: a batched read may have found a
    // packet that arrived while an earlier read in the same batch found none.
    for (std::size_t i = 0; i < got; ++i) {
      more = take_read(read_results_[i], read_batch_[i], now_ns, handled) && more;
    }
  }
  flush_sends(now_ns);
  flush_pending_writes();
  return handled;
}

bool TunnelEngine::take_read(const IoResult& result, Packet& packet, std::int64_t now_ns, std::size_t& handled) {
  if (result.status == IoStatus::would_block) {
    ++counters_.device_eagain;
    return false;
  }
  if (result.status == IoStatus::truncated) {
    // The kernel already discarded the tail; forwarding the head would corrupt the flow.
    ++handled;
    drop(packet, DropReason::device_read_truncated);
    return true;
  }
  if (!result.ok()) {
    ++counters_.device_read_errors;
    return false;
  }
  ++handled;
  ++counters_.device_packets_read;
  counters_.device_bytes_read += packet.size();
  handle_from_device(std::move(packet), now_ns);
  return true;
}

void TunnelEngine::handle_from_device(Packet&& packet, std::int64_t now_ns) {
  if (device_.kind() == DeviceKind::tap && !handle_tap_frame(packet)) {
    return;
  }
  if (packet.offload.is_super_packet()) {
    handle_super_packet(std::move(packet), now_ns);
    return;
  }
  if (packet.offload.needs_checksum) {
    // The stack left the transport checksum to the device (TUN_F_CSUM): complete it, or the
    // packet leaves with a checksum every receiver drops.
    if (!complete_checksum(packet.mutable_bytes(), packet.offload.checksum_start, packet.offload.checksum_offset)) {
      drop(packet, DropReason::encap_bad_offload);
      return;
    }
    ++counters_.device_checksums_completed;
    packet.offload = OffloadInfo{};
  }
  encapsulate(config_, state_, std::move(packet), now_ns, actions_);
  carry_out(now_ns);
}

void TunnelEngine::handle_super_packet(Packet&& packet, std::int64_t now_ns) {
  if (config_.super_packets && packet.offload.gso_type == GsoType::tcpv4 && fill_tcp4_checksum(packet)) {
    // Super-packet mode: the whole super-packet is one inner packet (see TunnelConfig).
    packet.offload = OffloadInfo{};
    ++counters_.device_super_packets_read;
    encapsulate_super_packet(config_, state_, std::move(packet), now_ns, actions_);
    carry_out(now_ns);
    return;
  }
  // Only TCP over IPv4 is split: IPv6 is not tunnelled (the segments would all be dropped as
  // encap-not-ipv4 anyway) and UDP super-packets are never offered.
  const std::size_t count =
      packet.offload.gso_type == GsoType::tcpv4 ? segment_tcp4(packet, packet.offload.segment_size, segments_) : 0;
  if (count == 0) {
    drop(packet,
         packet.offload.gso_type == GsoType::tcpv6 ? DropReason::encap_not_ipv4 : DropReason::encap_bad_offload);
    return;
  }
  ++counters_.device_super_packets_read;
  counters_.device_segments_from_super += count;
  // Path MTU: segments that do not fit the tunnel with DF set get one frag-needed for the
  // super-packet (the first segment's, exactly what a single packet of that size gets), not one
  // per segment; the rest die with the same reason. Without DF each segment is fragmented.
  const bool df = ipv4_peek::df(segments_[0].bytes());
  const bool too_big = segments_[0].size() > tunnel_mtu(now_ns);
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0 && df && too_big) {
      drop(segments_[i], DropReason::encap_too_big_df);
      continue;
    }
    encapsulate(config_, state_, std::move(segments_[i]), now_ns, actions_);
    carry_out(now_ns);
  }
}

std::size_t TunnelEngine::poll_underlay(std::int64_t now_ns, std::size_t budget) {
  std::size_t handled = 0;
  UnderlayError error;
  // Past the budget only to drain what the underlay already holds (see Underlay::buffered).
  while (handled < budget || underlay_.buffered() != 0) {
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
      if (relay_observer_) {
        relay_observer_(receive_buffer_.bytes(), to_string(outcome));
      }
    }
    carry_out(now_ns);
  }
  flush_sends(now_ns);
  flush_device_writes();
  flush_pending_writes();
  return handled;
}

void TunnelEngine::carry_out(std::int64_t now_ns) {
  for (TunnelAction& action : actions_) {
    switch (action.kind) {
      case TunnelAction::Kind::send_outer: {
        send_notes_[pending_sends_] = SendNote{action.packet.size(), action.packet.origin};
        OuterSend& entry = send_batch_[pending_sends_++];
        entry.outer = action.outer;
        entry.inner = std::move(action.packet);
        if (pending_sends_ == send_batch_.size()) {
          flush_sends(now_ns);
        }
        break;
      }
      case TunnelAction::Kind::write_device:
        if (coalesce_ && !action.generated && action.packet.size() <= device_.mtu()) {
          coalescer_.add(std::move(action.packet));
          break;
        }
        flush_device_writes();
        // Sends gathered so far leave first: every side effect keeps the order of the actions.
        flush_sends(now_ns);
        write_to_device(action.packet, action.generated);
        break;
      case TunnelAction::Kind::drop:
        flush_sends(now_ns);
        drop(action.packet, action.reason);
        break;
    }
  }
  actions_.clear();
}

void TunnelEngine::flush_sends(std::int64_t now_ns) {
  if (pending_sends_ == 0) {
    return;
  }
  const std::size_t count = pending_sends_;
  pending_sends_ = 0;
  underlay_.send_batch(std::span<OuterSend>(send_batch_.data(), count));
  for (std::size_t i = 0; i < count; ++i) {
    const IoResult& result = send_batch_[i].result;
    const SendNote& note = send_notes_[i];
    if (result.ok()) {
      ++counters_.outer_packets_sent;
      counters_.outer_bytes_sent += note.inner_size + kOuterHeaderLength;
      continue;
    }
    Packet lost;
    lost.origin = note.origin;
    if (result.status == IoStatus::message_too_big && result.mtu != 0) {
      // The local route's MTU is below what we assumed: learn it, as a 3/4 would teach us.
      state_.path_mtu = result.mtu;
      state_.path_mtu_learned_at_ns = now_ns;
      ++counters_.path_mtu_updates;
    }
    drop(lost, result.status == IoStatus::route_loop ? DropReason::encap_route_loop : DropReason::encap_send_failed);
  }
}

void TunnelEngine::flush_device_writes() {
  coalescer_.flush([this](Packet& packet) { write_to_device(packet, false); });
}

void TunnelEngine::write_segments(Packet& super, std::uint32_t origin) {
  const std::size_t count = segment_tcp4(super, super.offload.segment_size, segments_);
  if (count == 0) {
    Packet lost;
    lost.origin = origin;
    drop(lost, DropReason::decap_device_write_failed);
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    segments_[i].offload = OffloadInfo{};
    write_to_device(segments_[i], false);
  }
}

void TunnelEngine::write_to_device(Packet& packet, bool generated_here) {
  // ICMP errors app B writes back (frag-needed, relays) are the network's own packets: they are
  // not the injected packet being delivered, so they lose its origin. A decapsulated packet keeps
  // its origin whatever its source address says (a peer may send one from our inner address).
  if (generated_here) {
    packet.origin = 0;
  }
  const std::uint32_t origin = packet.origin;
  if (!packet.offload.is_super_packet() && packet.size() > device_.mtu() &&
      device_.capabilities().offloads.gso_writes && describe_tcp4_super_packet(packet, device_.mtu())) {
    // A whole TCP super-packet from a peer in super-packet mode (reassembled by the kernel from
    // outer fragments): larger than the device MTU, so it can only go in as a GSO write, or as
    // its segments if the kernel refuses that.
    if (!coalesce_) {
      write_segments(packet, origin);
      return;
    }
  }
  const bool super = packet.offload.is_super_packet();
  if (super && device_.kind() == DeviceKind::tap) {
    // The offsets count from the start of what is written: the frame.
    packet.offload.header_length = static_cast<std::uint16_t>(packet.offload.header_length + kEthernetHeader);
    packet.offload.checksum_start = static_cast<std::uint16_t>(packet.offload.checksum_start + kEthernetHeader);
  }
  if (device_.kind() == DeviceKind::tap) {
    write_ethernet_header({packet.push_front(kEthernetHeader), kEthernetHeader},
                          tap_peer_known_ ? tap_peer_mac_ : kBroadcastMac, kTapEngineMac, ethertype::kIpv4);
  }
  const OffloadInfo offload = packet.offload;
  const std::size_t size = packet.size();
  if (batched_io_) {
    if (!super) {
      // Into the batch (swapped: each side keeps a buffer), written by flush_pending_writes.
      std::swap(write_batch_[pending_writes_], packet);
      write_notes_[pending_writes_++] = WriteNote{origin, generated_here};
      if (pending_writes_ == write_batch_.size()) {
        flush_pending_writes();
      }
      return;
    }
    flush_pending_writes();  // a GSO write keeps its place after the packets before it
  }
  // The device may consume the packet; a refused GSO write needs it again.
  const IoResult result = super ? device_.write_gso(packet) : device_.write_packet(std::move(packet));
  account_device_write(result, offload, size, origin, generated_here);
  if (super && result.status == IoStatus::invalid_packet) {
    // The kernel refuses GSO writes (Linux 6.6.44 did for a short last segment): stop
    // coalescing and write this one's segments one by one.
    ++counters_.device_gso_write_refusals;
    coalesce_ = false;
    if (device_.kind() == DeviceKind::tap) {
      packet.pull_front(kEthernetHeader);
      packet.offload.header_length = static_cast<std::uint16_t>(packet.offload.header_length - kEthernetHeader);
      packet.offload.checksum_start = static_cast<std::uint16_t>(packet.offload.checksum_start - kEthernetHeader);
    }
    write_segments(packet, origin);
  }
}

void TunnelEngine::flush_pending_writes() {
  std::size_t done = 0;
  while (done < pending_writes_) {
    const std::size_t count = pending_writes_ - done;
    const std::size_t attempted = device_.write_many(std::span<const Packet>(write_batch_.data() + done, count),
                                                     std::span<IoResult>(write_results_.data(), count));
    for (std::size_t i = 0; i < attempted; ++i) {
      const WriteNote& note = write_notes_[done + i];
      account_device_write(write_results_[i], OffloadInfo{}, write_batch_[done + i].size(), note.origin,
                           note.generated);
    }
    // A failed write ends a batch; the packets after it are tried again.
    done += attempted == 0 ? count : attempted;
  }
  pending_writes_ = 0;
}

void TunnelEngine::account_device_write(const IoResult& result, const OffloadInfo& offload, std::size_t size,
                                        std::uint32_t origin, bool generated_here) {
  const bool super = offload.is_super_packet();
  if (result.ok()) {
    ++counters_.device_packets_written;
    counters_.icmp_sent_to_inner += generated_here ? 1 : 0;
    if (super) {
      ++counters_.device_super_packets_written;
      const std::size_t payload = size - offload.header_length;
      counters_.device_segments_coalesced += (payload + offload.segment_size - 1) / offload.segment_size;
    }
    return;
  }
  if (super && result.status == IoStatus::invalid_packet) {
    return;  // the caller writes the segments instead
  }
  ++counters_.device_write_errors;
  Packet lost;
  lost.origin = origin;
  drop(lost, result.status == IoStatus::device_down ? DropReason::device_down : DropReason::decap_device_write_failed);
}

bool TunnelEngine::handle_tap_frame(Packet& frame) {
  const auto ethernet = EthernetView::parse(frame.bytes());
  if (!ethernet) {
    drop(frame, DropReason::encap_malformed_inner);
    return false;
  }
  tap_peer_mac_ = ethernet->src();
  tap_peer_known_ = true;
  if (ethernet->ethertype() == ethertype::kArp) {
    // App B stands in for every address behind the tunnel (proxy ARP), so the host stack sends
    // all tunnelled traffic to our MAC.
    if (ethernet->payload().size() < ArpView::kLength) {
      drop(frame, DropReason::encap_malformed_inner);
      return false;
    }
    const auto request = ArpView::parse(ethernet->payload());
    if (!request || request->operation() != arp::kRequest || request->sender_ip() == request->target_ip()) {
      return false;  // not Ethernet/IPv4, a reply, or a gratuitous ARP: nothing to answer
    }
    Packet reply = build_arp_frame({.operation = arp::kReply,
                                    .sender_mac = kTapEngineMac,
                                    .sender_ip = request->target_ip(),
                                    .target_mac = request->sender_mac(),
                                    .target_ip = request->sender_ip()},
                                   request->sender_mac());
    if (device_.write_packet(std::move(reply)).ok()) {
      ++counters_.tap_arp_replies;
    }
    return false;
  }
  if (ethernet->ethertype() != ethertype::kIpv4) {
    drop(frame, DropReason::encap_not_ipv4);
    return false;
  }
  frame.pull_front(kEthernetHeader);
  if (frame.offload.needs_checksum || frame.offload.is_super_packet()) {
    // The kernel counts offsets from the frame's start; the engine's packet is the IP packet.
    if (frame.offload.checksum_start < kEthernetHeader) {
      drop(frame, DropReason::encap_bad_offload);
      return false;
    }
    frame.offload.checksum_start = static_cast<std::uint16_t>(frame.offload.checksum_start - kEthernetHeader);
    frame.offload.header_length = static_cast<std::uint16_t>(
        frame.offload.header_length - std::min<std::size_t>(frame.offload.header_length, kEthernetHeader));
  }
  return true;
}

void TunnelEngine::drop(const Packet& packet, DropReason reason) {
  counters_.drops.add(reason);
  if (drop_observer_) {
    drop_observer_(packet, reason);
  }
}

}  // namespace tunlab
