#include "tunlab/wire/ipv4.hpp"

#include <arpa/inet.h>

#include "tunlab/wire/byte_order.hpp"

namespace tunlab {

std::uint32_t checksum_partial(ByteView bytes, std::uint32_t sum) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    sum += std::uint32_t{load_be16(bytes.data() + i)};
  }
  if (i < bytes.size()) {
    sum += static_cast<std::uint32_t>(bytes[i] << 8);
  }
  return sum;
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

std::optional<Ipv4View> Ipv4View::parse(ByteView bytes) {
  if (bytes.size() < kMinHeader || (bytes[0] >> 4) != 4) {
    return std::nullopt;
  }
  const std::size_t ihl = static_cast<std::size_t>(bytes[0] & 0x0f) * 4;
  if (ihl < kMinHeader || ihl > bytes.size()) {
    return std::nullopt;
  }
  return Ipv4View(bytes);
}

Ipv4Address Ipv4View::src() const {
  return from_host_order(src_raw());
}
Ipv4Address Ipv4View::dst() const {
  return from_host_order(dst_raw());
}

bool Ipv4View::header_checksum_ok() const {
  return internet_checksum(header()) == 0;
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
