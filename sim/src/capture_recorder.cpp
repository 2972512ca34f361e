#include "tunlab/sim/capture_recorder.hpp"

#include <array>

#include "tunlab/sim/host.hpp"
#include "tunlab/sim/link.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/wire/ethernet.hpp"

namespace tunlab::sim {

// Opened in host and interface order, as the network was built: the order the capture set was
// always given, whatever the digest's own (name) order.
CaptureRecorder::CaptureRecorder(const Network& network, const std::optional<std::filesystem::path>& dir)
    : captures_(dir ? CaptureSet(*dir) : CaptureSet()), capture_of_(network.interface_count()) {
  for (const auto& host : network.hosts()) {
    for (std::size_t i = 0; i < host->interface_count(); ++i) {
      const Interface& iface = host->interface(i);
      const LinkType type = iface.kind == scenario::InterfaceKind::tun ? LinkType::raw : LinkType::ethernet;
      capture_of_[iface.id] = captures_.open(iface.label, type);
    }
  }
  captures_.seal();
}

void CaptureRecorder::seen(Time at, const Interface& iface, Direction direction, std::uint32_t, ByteView bytes) {
  if (iface.id >= capture_of_.size()) {
    return;  // added after the captures were opened
  }
  const std::size_t capture = capture_of_[iface.id];
  if (iface.kind != scenario::InterfaceKind::ethernet || iface.link == nullptr) {
    captures_.record(capture, at, bytes);
    return;
  }
  const Link::End& peer_end = iface.link->end(1 - iface.link_side);
  const MacAddress& peer = peer_end.host->interface(peer_end.interface).mac;
  const bool out = direction == Direction::out;
  std::array<std::uint8_t, EthernetView::kHeader> header;
  write_ethernet_header(header, out ? peer : iface.mac, out ? iface.mac : peer, ethertype::kIpv4);
  captures_.record(capture, at, header, bytes);
}

}  // namespace tunlab::sim
