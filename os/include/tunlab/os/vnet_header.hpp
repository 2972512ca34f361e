// The kernel's virtio_net_hdr (IFF_VNET_HDR on /dev/net/tun) translated to and from tunlab's
// OffloadInfo, so only the TUN backend knows the kernel's layout. Ten bytes in front of every
// packet read or written: u8 flags, u8 gso_type, then hdr_len, gso_size, csum_start,
// csum_offset as u16 in host byte order (a little-endian vnet header on these machines, which
// is also what TUNSETVNETLE would ask for).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tunlab/wire/offload.hpp"

namespace tunlab::os {

inline constexpr std::size_t kVnetHeaderLength = 10;
using VnetHeader = std::array<std::uint8_t, kVnetHeaderLength>;

// TUNSETOFFLOAD bits (linux/if_tun.h). USO (Linux >= 6.2) is newer than Debian 12's 6.1 headers
// and is not asked for: an IPIP tunnel gains nothing from UDP super-packets it must split anyway.
inline constexpr unsigned kTunOffloadChecksum = 0x01;  // TUN_F_CSUM
inline constexpr unsigned kTunOffloadTso4 = 0x02;      // TUN_F_TSO4
inline constexpr unsigned kTunOffloadTso6 = 0x04;      // TUN_F_TSO6

// The header for `info` (all zero for an ordinary packet).
VnetHeader encode_vnet_header(const OffloadInfo& info);
// The OffloadInfo a read's header describes (gso_type other for a kind tunlab does not split).
OffloadInfo decode_vnet_header(const VnetHeader& header);

}  // namespace tunlab::os
