#include "tunlab/wire/icmp.hpp"

#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab {

std::optional<IcmpView> IcmpView::parse(ByteView bytes) {
  if (bytes.size() < kHeader) {
    return std::nullopt;
  }
  return IcmpView(bytes);
}

std::uint16_t IcmpView::checksum() const {
  return load_be16(b_.data() + 2);
}

std::uint32_t IcmpView::rest_of_header() const {
  return load_be32(b_.data() + 4);
}

bool IcmpView::checksum_ok() const {
  return internet_checksum(b_) == 0;
}

}  // namespace tunlab
