#include "tunlab/wire/ipv4.hpp"

#include <arpa/inet.h>

#include <bit>
#include <cstring>

#include "tunlab/wire/byte_order.hpp"

namespace tunlab {

std::uint32_t checksum_partial(ByteView bytes, std::uint32_t sum) {
  // RFC 1071 section 2: the one's-complement sum does not depend on byte order or on the width
  // of the pieces added, so add native-order 32-bit pieces into 64 bits (no carry can be lost
  // below 16 GiB), fold to 16 bits and swap once at the end. Four pieces per step: this runs
  // over every byte the tunnel checks or segments, and the 16-bit loop was an eighth of a
  // receiving tunnel's time.
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  std::uint64_t acc[2] = {0, 0};
  for (; n >= 16; p += 16, n -= 16) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    acc[0] += (a & 0xffffffff) + (a >> 32);
    acc[1] += (b & 0xffffffff) + (b >> 32);
  }
  std::uint64_t total = acc[0] + acc[1];
  for (; n >= 4; p += 4, n -= 4) {
    std::uint32_t w = 0;
    std::memcpy(&w, p, 4);
    total += w;
  }
  if (n >= 2) {
    std::uint16_t w = 0;
    std::memcpy(&w, p, 2);
    total += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // The odd last byte is the high-order half of a 16-bit word in network order.
    const std::uint8_t last[2] = {p[0], 0};
    std::uint16_t w = 0;
    std::memcpy(&w, last, 2);
    total += w;
  }
  while (total >> 16) {
    total = (total & 0xffff) + (total >> 16);
  }
  auto folded = static_cast<std::uint16_t>(total);
  if constexpr (std::endian::native == std::endian::little) {
    folded = static_cast<std::uint16_t>((folded << 8) | (folded >> 8));
  }
  return sum + folded;
}

std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint32_t pseudo_header_sum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol, std::size_t length) {
  const std::uint32_t s = to_host_order(src);
  const std::uint32_t d = to_host_order(dst);
  return (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + protocol + static_cast<std::uint32_t>(length);
}

std::uint16_t internet_checksum(ByteView bytes, std::uint32_t initial) {
  return checksum_fold(checksum_partial(bytes, initial));
}

Ipv4Address Ipv4View::src() const {
  return from_host_order(src_raw());
}
Ipv4Address Ipv4View::dst() const {
  return from_host_order(dst_raw());
}

bool Ipv4View::header_checksum_ok() const {
  // A header with its right checksum sums to all ones (RFC 1071), in either byte order.
  return checksum_partial(header()) == 0xffff;
}

ByteView Ipv4View::payload() const {
  const std::size_t end = std::min<std::size_t>(total_length(), b_.size());
  if (end <= header_length()) {
    return {};
  }
  return b_.subspan(header_length(), end - header_length());
}

namespace ipv4_edit {

namespace {
// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word changing from m to m'.
void update_checksum(MutableByteView header, std::uint16_t old_word, std::uint16_t new_word) {
  const std::uint16_t old_checksum = load_be16(header.data() + 10);
  std::uint32_t sum =
      static_cast<std::uint16_t>(~old_checksum) + static_cast<std::uint16_t>(~old_word) + std::uint32_t{new_word};
  const std::uint16_t updated = checksum_fold(sum);
  header[10] = static_cast<std::uint8_t>(updated >> 8);
  header[11] = static_cast<std::uint8_t>(updated);
}
}  // namespace

void set_ttl(MutableByteView header, std::uint8_t ttl) {
  const auto old_word = load_be16(header.data() + 8);
  header[8] = ttl;
  update_checksum(header, old_word, load_be16(header.data() + 8));
}

void set_tos(MutableByteView header, std::uint8_t tos) {
  const auto old_word = load_be16(header.data());
  header[1] = tos;
  update_checksum(header, old_word, load_be16(header.data()));
}

void recompute_checksum(MutableByteView header) {
  const std::size_t ihl = static_cast<std::size_t>(header[0] & 0x0f) * 4;
  header[10] = 0;
  header[11] = 0;
  const std::uint16_t sum = internet_checksum(header.first(ihl));
  header[10] = static_cast<std::uint8_t>(sum >> 8);
  header[11] = static_cast<std::uint8_t>(sum);
}

void set_unfragmented(MutableByteView header, std::uint16_t total_length) {
  store_be16(header.data() + 2, total_length);
  header[6] = static_cast<std::uint8_t>(header[6] & 0x40);  // keep DF, clear MF and the offset
  header[7] = 0;
  recompute_checksum(header);
}

}  // namespace ipv4_edit

void write_ipv4_header(MutableByteView out, const Ipv4HeaderFields& f, std::uint16_t total_length) {
  const std::uint32_t src = to_host_order(f.src);
  const std::uint32_t dst = to_host_order(f.dst);
  const auto flags_offset =
      static_cast<std::uint16_t>((f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) | (f.fragment_offset_bytes / 8));
  out[0] = 0x45;
  out[1] = f.tos;
  out[2] = static_cast<std::uint8_t>(total_length >> 8);
  out[3] = static_cast<std::uint8_t>(total_length);
  out[4] = static_cast<std::uint8_t>(f.id >> 8);
  out[5] = static_cast<std::uint8_t>(f.id);
  out[6] = static_cast<std::uint8_t>(flags_offset >> 8);
  out[7] = static_cast<std::uint8_t>(flags_offset);
  out[8] = f.ttl;
  out[9] = f.protocol;
  out[10] = 0;
  out[11] = 0;
  for (int i = 0; i < 4; ++i) {
    out[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    out[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  const std::uint16_t sum = internet_checksum(out.first(20));
  out[10] = static_cast<std::uint8_t>(sum >> 8);
  out[11] = static_cast<std::uint8_t>(sum);
}

std::uint32_t to_host_order(Ipv4Address address) {
  return address.host_order();
}
Ipv4Address from_host_order(std::uint32_t address) {
  return Ipv4Address::from_host_order(address);
}

}  // namespace tunlab
