#include "tunlab/wire/routing_table.hpp"

#include <algorithm>

namespace tunlab {

std::uint32_t prefix_mask(std::uint8_t prefix_length) {
  return prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length);
}

void RoutingTable::add(Ipv4Address prefix, std::uint8_t prefix_length, std::size_t interface,
                       std::optional<Ipv4Address> gateway) {
  Route route{to_host_order(prefix) & prefix_mask(prefix_length), prefix_length, interface, gateway};
  // Insert after every route at least as long: longest prefix first, earlier-added first on ties.
  auto at =
      std::find_if(routes_.begin(), routes_.end(), [&](const Route& r) { return r.prefix_length < prefix_length; });
  routes_.insert(at, route);
}

void RoutingTable::remove_interface(std::size_t interface) {
  std::erase_if(routes_, [&](const Route& r) { return r.interface == interface; });
}

const Route* RoutingTable::lookup(std::uint32_t destination) const {
  for (const Route& route : routes_) {
    if ((destination & prefix_mask(route.prefix_length)) == route.prefix) {
      return &route;
    }
  }
  return nullptr;
}

const Route* RoutingTable::lookup(Ipv4Address destination) const {
  return lookup(to_host_order(destination));
}

}  // namespace tunlab
