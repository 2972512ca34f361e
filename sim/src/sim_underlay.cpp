#include "tunlab/sim/sim_underlay.hpp"

#include "tunlab/sim/host.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/wire/byte_order.hpp"

namespace tunlab::sim {

SimUnderlay::SimUnderlay(Network& network, Host& host, std::size_t tunnel_interface)
    : network_(network), host_(host), tunnel_interface_(tunnel_interface) {}

IoResult SimUnderlay::send(const OuterHeader& outer, Packet&& inner) {
  return send_behind(outer, ipproto::kIpip, std::move(inner));
}

IoResult SimUnderlay::send_behind(const OuterHeader& outer, std::uint8_t protocol, Packet&& payload) {
  const std::size_t total = payload.size() + 20;
  if (total > 0xffff) {
    return {IoStatus::message_too_big, 0, 0xffff};
  }
  Ipv4HeaderFields fields{.src = outer.src,
                          .dst = outer.dst,
                          .protocol = protocol,
                          .tos = outer.tos,
                          .ttl = outer.ttl,
                          .id = outer.id,
                          .df = outer.df};
  std::uint8_t* header = payload.push_front(20);
  write_ipv4_header(MutableByteView(header, 20), fields, static_cast<std::uint16_t>(total));
  return host_.send_local(std::move(payload), tunnel_interface_);
}

bool SimUnderlay::bind_udp(std::uint16_t port) {
  return host_.bind_udp(port, *this);
}

IoResult SimUnderlay::send_udp(const OuterHeader& outer, std::uint16_t src_port, std::uint16_t dst_port,
                               Packet&& payload) {
  const std::size_t udp_length = payload.size() + 8;
  if (udp_length + 20 > 0xffff) {
    return {IoStatus::message_too_big, 0, 0xffff};
  }
  std::uint8_t* udp = payload.push_front(8);
  store_be16(udp, src_port);
  store_be16(udp + 2, dst_port);
  store_be16(udp + 4, static_cast<std::uint16_t>(udp_length));
  store_be16(udp + 6, 0);
  const std::uint32_t pseudo = pseudo_header_sum(outer.src, outer.dst, ipproto::kUdp, udp_length);
  const std::uint16_t sum = internet_checksum({udp, udp_length}, pseudo);
  store_be16(udp + 6, sum == 0 ? 0xffff : sum);  // RFC 768: a computed zero goes as all ones
  return send_behind(outer, ipproto::kUdp, std::move(payload));
}

UnderlayEvent SimUnderlay::receive(Packet& out, UnderlayError& error) {
  if (queue_.empty()) {
    return UnderlayEvent::nothing;
  }
  Item& item = queue_.front();
  out = std::move(item.packet);
  const bool is_error = item.is_error;
  if (is_error) {
    error = item.error;
  }
  queue_.pop_front();
  return is_error ? UnderlayEvent::error : UnderlayEvent::packet;
}

void SimUnderlay::deliver(Packet&& outer) {
  queue_.push_back(Item{false, {}, std::move(outer)});
  wake_reader();
}

void SimUnderlay::deliver_error(const UnderlayError& error, Packet&& quoted) {
  queue_.push_back(Item{true, error, std::move(quoted)});
  wake_reader();
}

void SimUnderlay::wake_reader() {
  if (wake_pending_ || !reader_) {
    return;
  }
  wake_pending_ = true;
  network_.events().schedule(network_.now(), [this] {
    wake_pending_ = false;
    reader_();
    if (!queue_.empty()) {
      wake_reader();
    }
  });
}

}  // namespace tunlab::sim
