#include "tunlab/wire/ipv4_address.hpp"

#include <arpa/inet.h>

#include <ostream>
#include <stdexcept>

namespace tunlab {

Ipv4Address::Ipv4Address(std::string_view dotted) {
  // inet_pton accepts exactly four decimal octets, so "10.1" and "010.0.0.1" are refused.
  const std::string text(dotted);
  in_addr parsed{};
  if (::inet_pton(AF_INET, text.c_str(), &parsed) != 1) {
    throw std::invalid_argument("not an IPv4 address: '" + text + "'");
  }
  host_ = ntohl(parsed.s_addr);
}

std::string Ipv4Address::to_string() const {
  return std::to_string(host_ >> 24) + "." + std::to_string((host_ >> 16) & 0xff) + "." +
         std::to_string((host_ >> 8) & 0xff) + "." + std::to_string(host_ & 0xff);
}

std::ostream& operator<<(std::ostream& out, Ipv4Address address) {
  return out << address.to_string();
}

}  // namespace tunlab
