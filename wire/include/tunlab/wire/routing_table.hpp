// Longest-prefix-match routing table. Ties on prefix length go to the route added first, so the
// result never depends on container order.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tunlab/wire/ipv4.hpp"

namespace tunlab {

struct Route {
  std::uint32_t prefix = 0;  // host order, already masked
  std::uint8_t prefix_length = 0;
  std::size_t interface = 0;  // index into the owner's interface list
  std::optional<Ipv4Address> gateway;
};

class RoutingTable {
public:
  // Adds prefix/len via interface (and gateway). Host bits of `prefix` are ignored.
  void add(Ipv4Address prefix, std::uint8_t prefix_length, std::size_t interface,
           std::optional<Ipv4Address> gateway = std::nullopt);
  void remove_interface(std::size_t interface);
  const Route* lookup(Ipv4Address destination) const;
  const Route* lookup(std::uint32_t destination_host_order) const;
  const std::vector<Route>& routes() const { return routes_; }

private:
  std::vector<Route> routes_;  // kept sorted by prefix length, longest first, stable
};

std::uint32_t prefix_mask(std::uint8_t prefix_length);

}  // namespace tunlab
