// tunlab's own IPv4 address value. It mirrors the small part of libtins' IPv4Address the code
// uses (the same uint32_t convention, so tests can hand addresses to libtins as an oracle), but it
// keeps the engine's public headers free of any libtins type.
#pragma once

#include <bit>
#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace tunlab {

class Ipv4Address {
public:
  constexpr Ipv4Address() = default;
  // `network_order` is the address as it sits in memory in a packet or in in_addr::s_addr, as
  // libtins takes it; implicit so that socket addresses convert as they do for libtins.
  constexpr Ipv4Address(std::uint32_t network_order)  // NOLINT(google-explicit-constructor)
      : host_(byte_swap(network_order)) {}
  // Dotted quad ("10.0.0.1"); throws std::invalid_argument for anything else.
  explicit Ipv4Address(std::string_view dotted);
  explicit Ipv4Address(const char* dotted) : Ipv4Address(std::string_view(dotted)) {}
  explicit Ipv4Address(const std::string& dotted) : Ipv4Address(std::string_view(dotted)) {}

  static constexpr Ipv4Address from_host_order(std::uint32_t host) {
    Ipv4Address a;
    a.host_ = host;
    return a;
  }
  // Network order, as the uint32_t constructor takes it.
  constexpr operator std::uint32_t() const { return byte_swap(host_); }  // NOLINT
  constexpr std::uint32_t host_order() const { return host_; }

  std::string to_string() const;
  constexpr bool is_unspecified() const { return host_ == 0; }
  constexpr bool is_loopback() const { return (host_ >> 24) == 127; }
  constexpr bool is_multicast() const { return (host_ >> 28) == 0xe; }
  constexpr bool is_broadcast() const { return host_ == 0xffffffffU; }

  // Ordered as numbers in host order ("10.0.0.2" < "10.0.0.10"), as libtins orders them.
  friend constexpr bool operator==(Ipv4Address a, Ipv4Address b) { return a.host_ == b.host_; }
  friend constexpr auto operator<=>(Ipv4Address a, Ipv4Address b) { return a.host_ <=> b.host_; }

private:
  static constexpr std::uint32_t byte_swap(std::uint32_t v) {
    if constexpr (std::endian::native == std::endian::little) {
      return (v >> 24) | ((v >> 8) & 0xff00U) | ((v << 8) & 0xff0000U) | (v << 24);
    } else {
      return v;
    }
  }
  std::uint32_t host_ = 0;
};

std::ostream& operator<<(std::ostream& out, Ipv4Address address);

}  // namespace tunlab

template <>
struct std::hash<tunlab::Ipv4Address> {
  std::size_t operator()(tunlab::Ipv4Address a) const noexcept { return a.host_order(); }
};
