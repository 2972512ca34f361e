#include "tunlab/harness/trace_printer.hpp"

#include <fmt/format.h>

#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab {

std::string describe_packet(ByteView bytes) {
  const auto ip = Ipv4View::parse(bytes);
  if (!ip) {
    return fmt::format("non-IPv4 ({} bytes)", bytes.size());
  }
  std::string text = fmt::format("{} > {} ttl {} tos 0x{:02x}{} len {}", ip->src().to_string(), ip->dst().to_string(),
                                 ip->ttl(), ip->tos(), ip->df() ? " DF" : "", ip->total_length());
  if (ip->is_fragment()) {
    return text +
           fmt::format(" frag off {}{} proto {}", ip->fragment_offset_bytes(), ip->mf() ? " MF" : "", ip->protocol());
  }
  const ByteView payload = ip->payload();
  switch (ip->protocol()) {
    case ipproto::kIpip:
      return "IPIP " + text + " [" + describe_packet(payload) + "]";
    case ipproto::kUdp:
      if (const auto udp = UdpView::parse(payload)) {
        return "UDP " + text +
               fmt::format(" {} > {} payload {}", udp->src_port(), udp->dst_port(), udp->payload().size());
      }
      break;
    case ipproto::kTcp:
      if (const auto tcp = TcpView::parse(payload)) {
        return "TCP " + text + fmt::format(" {} > {} flags 0x{:02x}", tcp->src_port(), tcp->dst_port(), tcp->flags());
      }
      break;
    case ipproto::kIcmp: {
      if (const auto icmp = IcmpView::parse(payload)) {
        return fmt::format("ICMP {}/{}{} ", icmp->type(), icmp->code(),
                           icmp->is_frag_needed() ? fmt::format(" mtu {}", icmp->next_hop_mtu()) : "") +
               text;
      }
      break;
    }
    default:
      break;
  }
  return fmt::format("proto {} ", ip->protocol()) + text;
}

void TracePrinter::hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView ip) {
  const std::string who = origin == 0 ? std::string("--") : fmt::format("#{}", origin);
  fmt::print(out_, "{:>10.6f}  {:<5} {:<11} {:<3} {}\n", static_cast<double>(at_ns) / 1e9, who, label,
             outgoing ? "out" : "in", describe_packet(ip));
}

void TracePrinter::drop(std::int64_t at_ns, const DropPlace& place, std::uint32_t origin, std::string_view reason,
                        ByteView ip) {
  const std::string who = origin == 0 ? std::string("--") : fmt::format("#{}", origin);
  const std::string where = place.interface.empty() ? place.host : place.interface;
  fmt::print(out_, "{:>10.6f}  {:<5} {:<11} {} {}{}{}\n", static_cast<double>(at_ns) / 1e9, who, where,
             place.on_link ? "drop on link" : "drop", reason, ip.empty() ? "" : ": ",
             ip.empty() ? std::string() : describe_packet(ip));
}

}  // namespace tunlab
