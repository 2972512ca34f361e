#include "tunlab/sim/sim_device.hpp"

#include <cerrno>

#include "tunlab/sim/host.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/tcp_offload.hpp"

namespace tunlab::sim {

namespace {
// A reader that left packets queued (a budget, or a spurious EAGAIN from a FaultyDevice around
// this one) is woken again after this long, as a level-triggered epoll would re-report.
constexpr Time kEagainRetry = 10'000;
}  // namespace

SimDevice::SimDevice(Network& network, Host& host, std::size_t interface, DeviceKind kind)
    : network_(network), host_(host), interface_(interface), kind_(kind) {}

std::string_view SimDevice::name() const {
  return host_.interface(interface_).name;
}

DeviceCapabilities SimDevice::capabilities() const {
  DeviceCapabilities can;
  can.kind = kind_;
  can.mtu = host_.interface(interface_).mtu;
  can.offloads = {offloads_, offloads_};
  return can;
}

void SimDevice::set_faults(const scenario::DeviceFaultSpec& faults) {
  queue_limit_ = faults.queue_limit;
  if (faults.down_at_ns) {
    network_.events().schedule(*faults.down_at_ns, [this] { up_ = false; });
  }
  if (faults.up_at_ns) {
    network_.events().schedule(*faults.up_at_ns, [this] {
      up_ = true;
      if (!queue_.empty()) {
        wake_reader();
      }
    });
  }
}

void SimDevice::deliver_from_stack(Packet&& packet) {
  if (!up_) {
    network_.dropped(packet, DropReason::device_down, host_, &host_.interface(interface_));
    return;
  }
  if (queue_limit_ > 0 && queue_.size() >= queue_limit_) {
    // tun.c drops silently when txqueuelen is exceeded; we count it.
    network_.dropped(packet, DropReason::device_queue_full, host_, &host_.interface(interface_));
    return;
  }
  queue_.push_back(std::move(packet));
  wake_reader();
}

void SimDevice::wake_reader(Time delay) {
  if (wake_pending_ || !reader_) {
    return;
  }
  wake_pending_ = true;
  network_.events().schedule(network_.now() + delay, [this] {
    wake_pending_ = false;
    reader_();
    if (!queue_.empty() && up_) {
      wake_reader(kEagainRetry);
    }
  });
}

IoResult SimDevice::read(Packet& out) {
  if (queue_.empty()) {
    return {IoStatus::would_block};
  }
  out = std::move(queue_.front());
  queue_.pop_front();
  return {IoStatus::ok, out.size()};
}

IoResult SimDevice::write(ByteView bytes) {
  Packet packet(bytes);
  return write_packet(std::move(packet));
}

IoResult SimDevice::write_packet(Packet&& packet) {
  if (!up_) {
    return {IoStatus::device_down, 0, 0, EIO};
  }
  if (kind_ == DeviceKind::tun) {
    const std::uint8_t version = ip_version(packet.bytes());
    if (version != 4 && version != 6) {
      return {IoStatus::invalid_packet, 0, 0, EINVAL};
    }
  }
  const std::size_t size = packet.size();
  // The stack processes the packet after write() returns, as netif_rx defers to softirq.
  network_.events().schedule_packet(network_.now(), *this, 0, std::move(packet));
  return {IoStatus::ok, size};
}

IoResult SimDevice::write_gso(const Packet& packet) {
  constexpr IoResult kRefused{IoStatus::invalid_packet, 0, 0, EINVAL};
  if (!offloads_ || kind_ != DeviceKind::tun) {
    return kRefused;
  }
  if (!up_) {
    return {IoStatus::device_down, 0, 0, EIO};
  }
  // What virtio_net_hdr_to_skb and the TCP GSO path insist on before they take a super-packet:
  // TCP over IPv4, a segment size, and the checksum to complete at the TCP checksum field.
  const OffloadInfo& offload = packet.offload;
  const std::size_t ihl = packet.size() > 0 ? static_cast<std::size_t>(packet[0] & 0x0f) * 4 : 0;
  if (offload.gso_type != GsoType::tcpv4 || offload.segment_size == 0 || !offload.needs_checksum ||
      offload.checksum_start != ihl || offload.checksum_offset != 16) {
    return kRefused;
  }
  const std::size_t count = segment_tcp4(packet, offload.segment_size, segments_);
  if (count == 0) {
    return kRefused;
  }
  // Each segment enters the stack after write() returns, in order, as write_packet's do.
  for (std::size_t i = 0; i < count; ++i) {
    Packet& segment = segments_[i];
    segment.offload = OffloadInfo{};
    segment.origin = packet.origin;
    network_.events().schedule_packet(network_.now(), *this, 0, std::move(segment));
  }
  return {IoStatus::ok, packet.size()};
}

void SimDevice::handle_packet_event(std::uint32_t, Packet&& packet) {
  host_.receive(interface_, std::move(packet));
}

void SimDevice::drain(DropReason reason) {
  queue_.for_each([&](const Packet& packet) { network_.accounting().settle(packet.origin, reason); });
  queue_.clear();
}

}  // namespace tunlab::sim
