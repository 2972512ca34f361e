#include "tunlab/wire/udp.hpp"

#include "tunlab/wire/byte_order.hpp"

namespace tunlab {

std::optional<UdpView> UdpView::parse(ByteView bytes) {
  if (bytes.size() < kHeader) {
    return std::nullopt;
  }
  return UdpView(bytes);
}

std::uint16_t UdpView::src_port() const {
  return load_be16(b_.data());
}
std::uint16_t UdpView::dst_port() const {
  return load_be16(b_.data() + 2);
}
std::uint16_t UdpView::length() const {
  return load_be16(b_.data() + 4);
}
std::uint16_t UdpView::checksum() const {
  return load_be16(b_.data() + 6);
}

std::optional<TransportPorts> transport_ports(ByteView segment) {
  if (segment.size() < 4) {
    return std::nullopt;
  }
  return TransportPorts{load_be16(segment.data()), load_be16(segment.data() + 2)};
}

}  // namespace tunlab
