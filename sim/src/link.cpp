#include "tunlab/sim/link.hpp"

#include <algorithm>

#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/sim/host.hpp"
#include "tunlab/sim/network.hpp"

namespace tunlab::sim {

Link::Link(Network& network, End a, End b, const scenario::LinkSpec& spec)
    : network_(network), ends_{a, b}, spec_(spec) {
  set_mtu(spec.mtu);
  for (Direction& direction : directions_) {
    direction.lane = network_.events().open_lane();
  }
}

void Link::set_mtu(std::size_t mtu) {
  spec_.mtu = mtu;
  for (End& end : ends_) {
    end.host->interface(end.interface).mtu = mtu;
  }
}

void Link::set_faults(int side, const scenario::LinkFaultSpec& faults) {
  directions_[side].faults = LinkFaults(faults, network_.random_stream(LinkFaults::stream_name(faults.from)));
}

int Link::side_of(const scenario::LinkEnd& end) const {
  for (int side = 0; side < 2; ++side) {
    const End& e = ends_[side];
    if (e.host->name() == end.host && e.host->interface(e.interface).name == end.interface) {
      return side;
    }
  }
  return -1;
}

std::string Link::describe() const {
  return ends_[0].host->name() + "." + ends_[0].host->interface(ends_[0].interface).name + " <-> " +
         ends_[1].host->name() + "." + ends_[1].host->interface(ends_[1].interface).name;
}

void Link::send(int side, Packet&& packet) {
  const End& from = ends_[side];
  const auto drop = [&](DropReason reason) {
    network_.dropped(packet, reason, *from.host, &from.host->interface(from.interface), true);
  };
  if (!up_) {
    drop(DropReason::link_down);
    return;
  }
  Direction& direction = directions_[side];
  const LinkFaults::Decision fault = direction.faults.decide(packet.size());
  if (fault.drop) {
    drop(*fault.drop);
    return;
  }
  if (fault.flip) {
    packet.mutable_bytes()[fault.flip->byte] ^= fault.flip->mask;
    network_.note_corruption(packet.origin);
  }
  const Time now = network_.now();
  const Time delay = spec_.delay_ns + fault.extra_delay;
  Time departure = now;
  if (spec_.rate_bps > 0) {
    const auto serialisation = static_cast<Time>(packet.size() * 8 * 1'000'000'000ULL / spec_.rate_bps);
    const Time start = std::max(now, direction.busy_until);
    // A queue that would hold the packet for more than a run may last is full, however long the
    // configured queue (this also keeps busy_until from overflowing at absurdly low rates).
    if (start - now > limits::kMaxDurationNs) {
      drop(DropReason::link_queue_overflow);
      return;
    }
    if (spec_.queue_packets > 0 && serialisation > 0 &&
        static_cast<std::size_t>((start - now) / serialisation) >= spec_.queue_packets) {
      drop(DropReason::link_queue_overflow);
      return;
    }
    direction.busy_until = start + serialisation;
    departure = direction.busy_until;
  }
  const auto other = static_cast<std::uint32_t>(1 - side);
  if (fault.duplicate) {
    Packet copy(packet.bytes());
    copy.origin = packet.origin;
    network_.events().schedule_packet(direction.lane, departure + delay, *this, other, std::move(copy));
  }
  network_.events().schedule_packet(direction.lane, departure + delay, *this, other, std::move(packet));
}

void Link::handle_packet_event(std::uint32_t arg, Packet&& packet) {
  if (!up_) {
    const End& sender = ends_[1 - arg];
    network_.dropped(packet, DropReason::link_down, *sender.host, &sender.host->interface(sender.interface), true);
    return;
  }
  const End& to = ends_[arg];
  to.host->receive(to.interface, std::move(packet));
}

}  // namespace tunlab::sim
