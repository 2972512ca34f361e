// Segmentation-offload metadata of one packet: what the kernel's virtio_net_hdr says about a TUN
// read or write, in tunlab's own type so that nothing above the real backend sees a kernel struct.
// A packet with gso_type none is an ordinary packet; otherwise it is a super-packet: one IP + TCP
// header followed by the payload of several segments of segment_size bytes (the last may be
// shorter), to be cut into real packets before it goes on a wire.
#pragma once

#include <cstdint>

namespace tunlab {

enum class GsoType : std::uint8_t {
  none,
  tcpv4,
  tcpv6,
  udp_l4,
  other,  // a kind tunlab does not split (UFO, or newer than this code): dropped with a reason
};

struct OffloadInfo {
  GsoType gso_type = GsoType::none;
  // The transport checksum is partial: the field at checksum_start + checksum_offset holds the
  // folded pseudo-header sum, and the sum over the bytes from checksum_start on is still owed.
  bool needs_checksum = false;
  // The sender vouches for the transport checksum (virtio's DATA_VALID): the stack skips it.
  bool checksum_valid = false;
  std::uint16_t header_length = 0;  // IP + transport header; recomputed, the kernel's may be wrong
  std::uint16_t segment_size = 0;   // payload bytes per segment (the MSS)
  std::uint16_t checksum_start = 0;
  std::uint16_t checksum_offset = 0;

  bool is_super_packet() const { return gso_type != GsoType::none; }
  friend bool operator==(const OffloadInfo&, const OffloadInfo&) = default;
};

}  // namespace tunlab
