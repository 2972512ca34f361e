// tunlab demo --backend real: the seed's program on the kernel. A namespace of our own (held by an
// fd, gone with the process) with tun0 10.0.0.12/24; app A is a UDP socket and a raw ICMP socket in
// it, so the kernel's stack builds the IP headers and routes the packets into tun0, where we read
// them. IPv6 is off in the namespace: no router solicitation or MLD report lands in tun0.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "commands.hpp"
#include "demo.hpp"
#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/os/fd.hpp"
#include "tunlab/os/netlink.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/os/privileges.hpp"
#include "tunlab/os/tun_device.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::cli {

namespace {

sockaddr_in sockaddr_of(Ipv4Address address, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = static_cast<std::uint32_t>(address);
  return sin;
}

// Hands one of demo_packets() to the kernel as app A would: its transport payload through the
// socket of its protocol, to its destination. False when the kernel refused it.
bool send_as_app_a(const Packet& packet, int udp, int icmp) {
  const auto ip = Ipv4View::parse(packet.bytes());
  if (!ip) {
    return false;
  }
  const ByteView transport = ip->payload();
  const bool is_udp = ip->protocol() == ipproto::kUdp;
  // The UDP socket writes its own 8-byte header; the raw ICMP socket takes the ICMP message whole.
  const ByteView data = is_udp ? transport.subspan(8) : transport;
  const std::uint16_t port = is_udp ? UdpView::parse(transport)->dst_port() : 0;
  const sockaddr_in to = sockaddr_of(ip->dst(), port);
  const ssize_t n =
      ::sendto(is_udp ? udp : icmp, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  return n == static_cast<ssize_t>(data.size());
}

// The kernel chooses ID, DF and checksum; what app A wrote must arrive unchanged behind the header.
bool same_transport(const Packet& sent, const Packet& read) {
  const auto a = Ipv4View::parse(sent.bytes());
  const auto b = Ipv4View::parse(read.bytes());
  return a && b && a->protocol() == b->protocol() && std::ranges::equal(a->payload(), b->payload());
}

}  // namespace

int run_demo_real(std::FILE* out) {
  if (const auto reason = os::privilege_skip_reason()) {
    throw InputError("demo --backend real: real backend unavailable: " + *reason);
  }
  const os::HostNetnsGuard host;
  os::Netns ns("demo");
  os::disable_ipv6(ns);
  std::unique_ptr<os::TunDevice> tun0;
  os::Fd udp;
  os::Fd icmp;
  os::run_in(ns, [&] {
    tun0 = std::make_unique<os::TunDevice>(os::TunOptions{.name = "tun0"});
    udp.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    icmp.reset(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP));
  });
  if (!udp || !icmp) {
    throw std::runtime_error("demo: cannot open app A's sockets in the namespace");
  }
  os::address_add(ns, "tun0", Ipv4Address("10.0.0.12"), 24);
  const sockaddr_in source = sockaddr_of(Ipv4Address("10.0.0.12"), 40000);
  if (::bind(udp.get(), reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) {
    throw std::runtime_error("demo: cannot bind app A's UDP socket to 10.0.0.12:40000");
  }
  host.check("demo --backend real");

  // One packet at a time, each awaited (bounded) before the next, so the lines come in app A's order.
  os::EpollDriver driver;
  const std::vector<Packet> packets = demo_packets();
  std::size_t reads = 0;
  bool all_match = true;
  driver.add(tun0->poll_fd(), [&](std::int64_t) {
    Packet packet;
    while (tun0->read(packet).ok()) {
      fmt::print(out, "Read {} bytes from device {}\n", packet.size(), tun0->name());
      std::fflush(out);
      all_match = all_match && reads < packets.size() && same_transport(packets[reads], packet);
      ++reads;
    }
  });
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (!send_as_app_a(packets[i], udp.get(), icmp.get())) {
      fmt::print(stderr, "tunlab: demo: the kernel refused app A's packet {}\n", i + 1);
      return kExitFailed;
    }
    const auto arrived = driver.run_until([&] { return reads > i; }, std::chrono::seconds(5));
    if (arrived != os::EpollDriver::Outcome::predicate_met) {
      fmt::print(stderr, "tunlab: demo: packet {} never reached tun0 (5 s)\n", i + 1);
      return kExitFailed;
    }
  }
  if (reads != packets.size() || !all_match) {
    fmt::print(stderr, "tunlab: demo: tun0 carried {} packets, app A sent {}{}\n", reads, packets.size(),
               all_match ? "" : " (contents differ)");
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace tunlab::cli
