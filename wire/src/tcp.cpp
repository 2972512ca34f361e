#include "tunlab/wire/tcp.hpp"

#include <algorithm>

#include "tunlab/wire/byte_order.hpp"

namespace tunlab {

std::optional<TcpView> TcpView::parse(ByteView bytes) {
  if (bytes.size() < kMinHeader) {
    return std::nullopt;
  }
  return TcpView(bytes);
}

std::uint16_t TcpView::src_port() const {
  return load_be16(b_.data());
}
std::uint16_t TcpView::dst_port() const {
  return load_be16(b_.data() + 2);
}
std::uint32_t TcpView::seq() const {
  return load_be32(b_.data() + 4);
}
std::uint32_t TcpView::ack() const {
  return load_be32(b_.data() + 8);
}
std::uint16_t TcpView::window() const {
  return load_be16(b_.data() + 14);
}
std::uint16_t TcpView::checksum() const {
  return load_be16(b_.data() + 16);
}

ByteView TcpView::payload() const {
  return b_.subspan(std::min(header_length(), b_.size()));
}

}  // namespace tunlab
