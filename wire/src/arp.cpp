#include "tunlab/wire/arp.hpp"

#include <algorithm>

#include "tunlab/wire/byte_order.hpp"

namespace tunlab {

namespace {

constexpr std::uint16_t kHardwareEthernet = 1;
constexpr std::size_t kSenderMac = 8;
constexpr std::size_t kSenderIp = 14;
constexpr std::size_t kTargetMac = 18;
constexpr std::size_t kTargetIp = 24;

MacAddress mac_at(ByteView b, std::size_t at) {
  MacAddress mac;
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), mac.size(), mac.begin());
  return mac;
}

}  // namespace

std::optional<ArpView> ArpView::parse(ByteView bytes) {
  if (bytes.size() < kLength || load_be16(bytes.data()) != kHardwareEthernet ||
      load_be16(bytes.data() + 2) != ethertype::kIpv4 || bytes[4] != 6 || bytes[5] != 4) {
    return std::nullopt;
  }
  return ArpView(bytes);
}

std::uint16_t ArpView::operation() const {
  return load_be16(b_.data() + 6);
}
MacAddress ArpView::sender_mac() const {
  return mac_at(b_, kSenderMac);
}
Ipv4Address ArpView::sender_ip() const {
  return Ipv4Address::from_host_order(load_be32(b_.data() + kSenderIp));
}
MacAddress ArpView::target_mac() const {
  return mac_at(b_, kTargetMac);
}
Ipv4Address ArpView::target_ip() const {
  return Ipv4Address::from_host_order(load_be32(b_.data() + kTargetIp));
}

Packet build_arp_frame(const ArpFields& fields, const MacAddress& ethernet_dst) {
  Packet frame = Packet::with_size(EthernetView::kHeader + ArpView::kLength);
  write_ethernet_header(frame.mutable_bytes(), ethernet_dst, fields.sender_mac, ethertype::kArp);
  std::uint8_t* arp = frame.data() + EthernetView::kHeader;
  store_be16(arp, kHardwareEthernet);
  store_be16(arp + 2, ethertype::kIpv4);
  arp[4] = 6;
  arp[5] = 4;
  store_be16(arp + 6, fields.operation);
  std::copy(fields.sender_mac.begin(), fields.sender_mac.end(), arp + kSenderMac);
  store_be32(arp + kSenderIp, fields.sender_ip.host_order());
  std::copy(fields.target_mac.begin(), fields.target_mac.end(), arp + kTargetMac);
  store_be32(arp + kTargetIp, fields.target_ip.host_order());
  return frame;
}

}  // namespace tunlab
