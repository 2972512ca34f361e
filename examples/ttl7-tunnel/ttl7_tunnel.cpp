#include "ttl7_tunnel.hpp"

#include <memory>

#include "tunlab/wire/ipv4.hpp"

namespace ttl7 {

namespace {

// A driver calls again while a side stays readable, so a small budget costs nothing.
constexpr int kBudget = 32;

}  // namespace

Ttl7Tunnel::Ttl7Tunnel(const tunlab::AppEnvironment& environment)
    : config_(environment.config),
      device_(environment.device),
      underlay_(environment.underlay),
      drops_(environment.drops) {}

void Ttl7Tunnel::on_device_readable(std::int64_t /*now_ns*/) {
  for (int i = 0; i < kBudget; ++i) {
    tunlab::Packet packet;
    const tunlab::IoResult result = device_.read(packet);
    if (!result.ok()) {
      return;  // would_block, or an error the device counts itself
    }
    encapsulate(std::move(packet));
  }
}

void Ttl7Tunnel::encapsulate(tunlab::Packet&& inner) {
  if (!tunlab::Ipv4View::parse(inner.bytes())) {
    drops_.dropped(inner, "ttl7-not-ipv4");
    return;
  }
  if (inner.size() + tunlab::kOuterHeaderLength > config_.underlay_mtu) {
    drops_.dropped(inner, "ttl7-too-big");
    return;
  }
  const tunlab::OuterHeader outer{config_.local, config_.remote, kOuterTtl, 0, next_id_++, false};
  if (underlay_.send(outer, std::move(inner)).ok()) {
    ++sent_;
  }
}

void Ttl7Tunnel::on_underlay_readable(std::int64_t /*now_ns*/) {
  for (int i = 0; i < kBudget; ++i) {
    tunlab::Packet packet;
    tunlab::UnderlayError error;
    switch (underlay_.receive(packet, error)) {
      case tunlab::UnderlayEvent::nothing:
        return;
      case tunlab::UnderlayEvent::error:
        ++icmp_ignored_;  // never relayed: the inner sender learns nothing
        break;
      case tunlab::UnderlayEvent::packet:
        decapsulate(std::move(packet));
        break;
    }
  }
}

void Ttl7Tunnel::decapsulate(tunlab::Packet&& outer) {
  const auto header = tunlab::Ipv4View::parse(outer.bytes());
  if (!header || header->protocol() != tunlab::ipproto::kIpip || header->src() != config_.remote) {
    drops_.dropped(outer, "ttl7-not-from-peer");
    return;
  }
  outer.pull_front(header->header_length());
  if (!tunlab::Ipv4View::parse(outer.bytes())) {
    drops_.dropped(outer, "ttl7-not-ipv4");
    return;
  }
  ++received_;
  // write_packet keeps the packet's origin tag, which the simulator's accounting follows.
  device_.write_packet(std::move(outer));
}

tunlab::AppCounters Ttl7Tunnel::counters(std::int64_t /*now_ns*/) const {
  return {{"outer_packets_sent", sent_}, {"outer_packets_received", received_}, {"icmp_ignored", icmp_ignored_}};
}

std::unique_ptr<tunlab::AppB> make_app(const tunlab::AppEnvironment& environment) {
  return std::make_unique<Ttl7Tunnel>(environment);
}

}  // namespace ttl7
