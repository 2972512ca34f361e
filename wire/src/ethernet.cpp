#include "tunlab/wire/ethernet.hpp"

#include <algorithm>

#include "tunlab/wire/byte_order.hpp"

namespace tunlab {

std::optional<EthernetView> EthernetView::parse(ByteView bytes) {
  if (bytes.size() < kHeader) {
    return std::nullopt;
  }
  return EthernetView(bytes);
}

MacAddress EthernetView::dst() const {
  MacAddress mac;
  std::copy_n(b_.begin(), mac.size(), mac.begin());
  return mac;
}

MacAddress EthernetView::src() const {
  MacAddress mac;
  std::copy_n(b_.begin() + 6, mac.size(), mac.begin());
  return mac;
}

std::uint16_t EthernetView::ethertype() const {
  return load_be16(b_.data() + 12);
}

std::optional<std::uint16_t> EthernetView::tagged_ethertype() const {
  if (b_.size() < kHeader + kVlanTag) {
    return std::nullopt;
  }
  return load_be16(b_.data() + kHeader + 2);
}

void write_ethernet_header(MutableByteView out, const MacAddress& dst, const MacAddress& src, std::uint16_t ethertype) {
  std::copy(dst.begin(), dst.end(), out.begin());
  std::copy(src.begin(), src.end(), out.begin() + 6);
  store_be16(out.data() + 12, ethertype);
}

}  // namespace tunlab
