#include "test_packets.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include <tins/icmp.h>
#include <tins/rawpdu.h>
#include <tins/udp.h>

namespace tunlab::test {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

std::uint32_t address_words(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{be16(b, at)} + be16(b, at + 2);
}

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

// libtins replaces a 0.0.0.0 source with one from the host's routing table while serialising, so
// packets from 0.0.0.0 are serialised from a placeholder and rewritten afterwards.
const Ipv4Address kPlaceholderSource("192.0.2.1");
Tins::IPv4Address serialisable(Ipv4Address address) {
  return tins_address(address == Ipv4Address("0.0.0.0") ? kPlaceholderSource : address);
}
Bytes finish_source(Bytes bytes, Ipv4Address wanted) {
  if (wanted == Ipv4Address("0.0.0.0")) {
    set_source(bytes, wanted);
  }
  return bytes;
}

void set_ip_fields(Tins::IP& ip, const IpSpec& spec) {
  ip.tos(spec.tos);
  ip.ttl(spec.ttl);
  ip.id(spec.id);
  ip.flags(spec.df ? Tins::IP::DONT_FRAGMENT : Tins::IP::Flags{});
}

}  // namespace

Bytes serialize(Tins::PDU& pdu) {
  return pdu.serialize();
}

Packet to_packet(Tins::PDU& pdu, std::uint32_t origin) {
  const Bytes bytes = serialize(pdu);
  Packet packet(bytes);
  packet.origin = origin;
  return packet;
}

Bytes pattern_bytes(std::size_t n, std::uint32_t seed) {
  Bytes out(n);
  std::uint32_t state = seed * 2654435761u + 12345u;
  for (auto& byte : out) {
    state = state * 1103515245u + 12345u;
    byte = static_cast<std::uint8_t>(state >> 16);
  }
  return out;
}

Tins::IP make_udp_ip(std::size_t total_size, const IpSpec& spec) {
  Tins::IP ip(tins_address(spec.dst), serialisable(spec.src));
  set_ip_fields(ip, spec);
  const Bytes payload = pattern_bytes(total_size - 28, spec.payload_seed);
  ip /= Tins::UDP(spec.dst_port, spec.src_port) / Tins::RawPDU(payload.begin(), payload.end());
  return ip;
}

Bytes make_udp_bytes(std::size_t total_size, const IpSpec& spec) {
  Tins::IP ip = make_udp_ip(total_size, spec);
  return finish_source(serialize(ip), spec.src);
}

Bytes make_raw_ip_bytes(std::size_t total_size, const IpSpec& spec) {
  Tins::IP ip(tins_address(spec.dst), serialisable(spec.src));
  set_ip_fields(ip, spec);
  if (total_size > 20) {
    const Bytes payload = pattern_bytes(total_size - 20, spec.payload_seed);
    ip /= Tins::RawPDU(payload.begin(), payload.end());
  }
  ip.protocol(253);
  return finish_source(serialize(ip), spec.src);
}

Bytes wrap_outer(std::span<const std::uint8_t> inner, const OuterSpec& spec) {
  Tins::IP outer(tins_address(spec.dst), serialisable(spec.src));
  outer.tos(spec.tos);
  outer.ttl(spec.ttl);
  outer.id(spec.id);
  outer.flags(spec.df ? Tins::IP::DONT_FRAGMENT : Tins::IP::Flags{});
  // Raw payload, so libtins copies the inner bytes verbatim instead of re-serialising them.
  outer /= Tins::RawPDU(inner.begin(), inner.end());
  outer.protocol(spec.protocol);
  return finish_source(serialize(outer), spec.src);
}

Bytes wrap_udp(std::span<const std::uint8_t> inner, std::uint16_t dst_port, const OuterSpec& spec) {
  Tins::IP outer(tins_address(spec.dst), serialisable(spec.src));
  outer.tos(spec.tos);
  outer.ttl(spec.ttl);
  outer.id(spec.id);
  outer.flags(spec.df ? Tins::IP::DONT_FRAGMENT : Tins::IP::Flags{});
  outer /= Tins::UDP(dst_port, 5555) / Tins::RawPDU(inner.begin(), inner.end());
  return finish_source(serialize(outer), spec.src);
}

std::uint16_t reference_checksum(std::span<const std::uint8_t> bytes, std::uint32_t initial) {
  std::uint64_t sum = initial;
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    const std::uint32_t high = bytes[i];
    const std::uint32_t low = i + 1 < bytes.size() ? bytes[i + 1] : 0;
    sum += high * 256 + low;
  }
  while (sum > 0xffff) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

bool checksums_ok(std::span<const std::uint8_t> packet) {
  if (packet.size() < 20) {
    return false;
  }
  const std::size_t ihl = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
  const std::size_t total = be16(packet, 2);
  if (ihl < 20 || total < ihl || total > packet.size() || reference_checksum(packet.first(ihl)) != 0) {
    return false;
  }
  if ((be16(packet, 6) & 0x3fff) != 0) {
    return true;  // a fragment: the transport checksum covers the whole datagram, not this piece
  }
  const auto body = packet.subspan(ihl, total - ihl);
  const std::uint8_t protocol = packet[9];
  const auto pseudo =
      address_words(packet, 12) + address_words(packet, 16) + protocol + static_cast<std::uint32_t>(body.size());
  switch (protocol) {
    case 1:
      return reference_checksum(body) == 0;
    case 6:
      return reference_checksum(body, pseudo) == 0;
    case 17:
      return body.size() >= 8 && (be16(body, 6) == 0 || reference_checksum(body, pseudo) == 0);
    default:
      return true;
  }
}

void set_source(Bytes& packet, Ipv4Address source) {
  const std::uint32_t host = to_host_order(source);
  for (std::size_t i = 0; i < 4; ++i) {
    packet[12 + i] = static_cast<std::uint8_t>(host >> (24 - 8 * i));
  }
  const std::size_t ihl = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
  put16(packet, 10, 0);
  put16(packet, 10, reference_checksum(std::span(packet).first(ihl)));
  const bool fragment = (be16(packet, 6) & 0x3fff) != 0;
  const std::size_t total = std::min<std::size_t>(be16(packet, 2), packet.size());
  const std::uint8_t protocol = packet[9];
  const std::size_t at = protocol == 6 ? 16 : protocol == 17 ? 6 : 0;
  if (fragment || at == 0 || total < ihl + at + 2 || (protocol == 17 && be16(packet, ihl + 6) == 0)) {
    return;
  }
  const auto body = std::span(packet).subspan(ihl, total - ihl);
  put16(packet, ihl + at, 0);
  const auto pseudo =
      address_words(packet, 12) + address_words(packet, 16) + protocol + static_cast<std::uint32_t>(body.size());
  const std::uint16_t sum = reference_checksum(body, pseudo);
  put16(packet, ihl + at, protocol == 17 && sum == 0 ? 0xffff : sum);
}

std::optional<Bytes> reassemble(std::span<const Packet> fragments) {
  std::map<std::size_t, std::span<const std::uint8_t>> pieces;  // offset -> data
  std::optional<Bytes> first_header;
  std::optional<std::size_t> end;
  std::span<const std::uint8_t> reference;
  for (const Packet& fragment : fragments) {
    const auto b = fragment.bytes();
    if (b.size() < 20) {
      return std::nullopt;
    }
    const std::size_t ihl = static_cast<std::size_t>(b[0] & 0x0f) * 4;
    const std::size_t total = be16(b, 2);
    if (total > b.size() || total < ihl) {
      return std::nullopt;
    }
    if (reference.empty()) {
      reference = b;
    } else if (be16(b, 4) != be16(reference, 4) || b[9] != reference[9] ||
               !std::equal(b.begin() + 12, b.begin() + 20, reference.begin() + 12)) {
      return std::nullopt;
    }
    const std::size_t offset = static_cast<std::size_t>(be16(b, 6) & 0x1fff) * 8;
    const bool more = (b[6] & 0x20) != 0;
    if (offset == 0) {
      first_header = Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(ihl));
    }
    if (!more) {
      end = offset + total - ihl;
    }
    if (!pieces.emplace(offset, b.subspan(ihl, total - ihl)).second) {
      return std::nullopt;
    }
  }
  if (!first_header || !end) {
    return std::nullopt;
  }
  Bytes whole = *first_header;
  for (const auto& [offset, data] : pieces) {
    if (offset != whole.size() - first_header->size()) {
      return std::nullopt;  // gap or overlap
    }
    whole.insert(whole.end(), data.begin(), data.end());
  }
  if (whole.size() - first_header->size() != *end) {
    return std::nullopt;
  }
  // The reassembled header: whole length, no fragment fields, fresh checksum.
  const std::size_t ihl = first_header->size();
  whole[2] = static_cast<std::uint8_t>(whole.size() >> 8);
  whole[3] = static_cast<std::uint8_t>(whole.size());
  whole[6] &= 0x40;
  whole[7] = 0;
  whole[10] = 0;
  whole[11] = 0;
  const std::uint16_t sum = reference_checksum(std::span(whole).first(ihl));
  whole[10] = static_cast<std::uint8_t>(sum >> 8);
  whole[11] = static_cast<std::uint8_t>(sum);
  return whole;
}

std::string hex_dump(std::span<const std::uint8_t> bytes) {
  std::string out;
  char buffer[32];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i % 16 == 0) {
      std::snprintf(buffer, sizeof buffer, "%s%04zx ", i == 0 ? "" : "\n", i);
      out += buffer;
    }
    std::snprintf(buffer, sizeof buffer, " %02x", bytes[i]);
    out += buffer;
  }
  return out;
}

::testing::AssertionResult bytes_equal(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> actual) {
  const auto mismatch = std::mismatch(expected.begin(), expected.end(), actual.begin(), actual.end());
  if (mismatch.first == expected.end() && mismatch.second == actual.end()) {
    return ::testing::AssertionSuccess();
  }
  const auto at = static_cast<std::size_t>(mismatch.first - expected.begin());
  return ::testing::AssertionFailure() << "bytes differ at offset " << at << " (expected " << expected.size()
                                       << " bytes, got " << actual.size() << ")\nexpected:\n"
                                       << hex_dump(expected) << "\nactual:\n"
                                       << hex_dump(actual);
}

}  // namespace tunlab::test
