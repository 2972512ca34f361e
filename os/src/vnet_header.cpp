// virtio_net_hdr <-> OffloadInfo (include/uapi/linux/virtio_net.h).
#include "tunlab/os/vnet_header.hpp"

#include <cstring>

namespace tunlab::os {

namespace {

constexpr std::uint8_t kFlagNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr std::uint8_t kFlagDataValid = 2;      // VIRTIO_NET_HDR_F_DATA_VALID
constexpr std::uint8_t kGsoNone = 0;            // VIRTIO_NET_HDR_GSO_NONE
constexpr std::uint8_t kGsoTcpv4 = 1;
constexpr std::uint8_t kGsoUdp = 3;
constexpr std::uint8_t kGsoTcpv6 = 4;
constexpr std::uint8_t kGsoUdpL4 = 5;
// Set with TCPV4/6 when the segments carry ECN (CWR on the first): the segmentation rules
// (CWR only on the first segment) already follow from the TCP header itself.
constexpr std::uint8_t kGsoEcn = 0x80;

void store16(std::uint8_t* p, std::uint16_t v) {
  std::memcpy(p, &v, sizeof v);  // host byte order, as the kernel's legacy vnet header
}
std::uint16_t load16(const std::uint8_t* p) {
  std::uint16_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

VnetHeader encode_vnet_header(const OffloadInfo& info) {
  VnetHeader h{};
  h[0] = static_cast<std::uint8_t>((info.needs_checksum ? kFlagNeedsChecksum : 0) |
                                   (info.checksum_valid ? kFlagDataValid : 0));
  switch (info.gso_type) {
    case GsoType::none:
      h[1] = kGsoNone;
      break;
    case GsoType::tcpv4:
      h[1] = kGsoTcpv4;
      break;
    case GsoType::tcpv6:
      h[1] = kGsoTcpv6;
      break;
    case GsoType::udp_l4:
      h[1] = kGsoUdpL4;
      break;
    case GsoType::other:
      h[1] = kGsoUdp;  // never written: the engine only writes what it built
      break;
  }
  store16(h.data() + 2, info.header_length);
  store16(h.data() + 4, info.segment_size);
  store16(h.data() + 6, info.checksum_start);
  store16(h.data() + 8, info.checksum_offset);
  return h;
}

OffloadInfo decode_vnet_header(const VnetHeader& h) {
  OffloadInfo info;
  info.needs_checksum = (h[0] & kFlagNeedsChecksum) != 0;
  info.checksum_valid = (h[0] & kFlagDataValid) != 0;
  switch (h[1] & ~kGsoEcn) {
    case kGsoNone:
      info.gso_type = GsoType::none;
      break;
    case kGsoTcpv4:
      info.gso_type = GsoType::tcpv4;
      break;
    case kGsoTcpv6:
      info.gso_type = GsoType::tcpv6;
      break;
    case kGsoUdpL4:
      info.gso_type = GsoType::udp_l4;
      break;
    default:  // UFO (never offered: no TUN_F_UFO) or something newer
      info.gso_type = GsoType::other;
      break;
  }
  info.header_length = load16(h.data() + 2);
  info.segment_size = load16(h.data() + 4);
  info.checksum_start = load16(h.data() + 6);
  info.checksum_offset = load16(h.data() + 8);
  return info;
}

}  // namespace tunlab::os
