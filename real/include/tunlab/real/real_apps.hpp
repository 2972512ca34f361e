// The applications on one real host (app A / app C and every other host's app), as sockets opened
// inside the host's namespace:
//   - UDP sockets bound to every port the scenario's traffic uses towards the host (or its listen
//     list), and one sender socket per (source address, source port), all with IP_RECVERR;
//   - one raw ICMP socket: sends echo requests with exactly build_icmp_echo's ICMP bytes and sees
//     every ICMP message the host receives (echo requests and replies, errors);
//   - one raw TCP socket that sees every TCP segment the host receives, and a listener per TCP
//     port whose socket filter drops everything, so the kernel answers neither SYN-ACK nor RST
//     (the simulator's apps only count segments);
//   - one IPPROTO_RAW (IP_HDRINCL) socket for `tcp:`, `raw:` and `replay:` traffic: those packets
//     enter the host's stack as the app's, whole, as the scenario or pcap wrote them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tunlab/os/fd.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab::real {

// One thing an app socket received.
struct AppArrival {
  enum class Kind { udp_payload, icmp_packet, tcp_packet, udp_error };
  Kind kind = Kind::udp_payload;
  std::uint16_t port = 0;           // udp_payload: the receiving socket's port
  std::vector<std::uint8_t> bytes;  // udp_payload: payload; icmp/tcp_packet: the whole IPv4 packet
};

// Per-packet IP options for sends through the kernel's own header (UDP and echo).
struct SendOptions {
  std::optional<Ipv4Address> src;
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  bool df = false;
};

class HostApps {
public:
  using Handler = std::function<void(const AppArrival&)>;

  HostApps(const os::Netns& ns, std::set<std::uint16_t> udp_ports, std::set<std::uint16_t> tcp_ports);
  ~HostApps();
  HostApps(const HostApps&) = delete;
  HostApps& operator=(const HostApps&) = delete;

  // Every fd to poll; read(fd) hands what it received to `handler`.
  std::vector<int> fds() const;
  void read(int fd, const Handler& handler);

  // Each returns 0 or the errno of a send the kernel refused locally (EMSGSIZE, ENETUNREACH...).
  int send_udp(Ipv4Address src, std::uint16_t src_port, Ipv4Address dst, std::uint16_t dst_port, ByteView payload,
               const SendOptions& options);
  int send_icmp(Ipv4Address dst, ByteView icmp, const SendOptions& options);
  int send_ip(ByteView packet);

  // Opens (once) the UDP socket that sends from src:port; call it before fds() is polled so the
  // socket's replies and errors are seen. send_udp opens it on demand otherwise.
  int udp_sender(Ipv4Address src, std::uint16_t port);

  std::uint64_t recverr_count() const { return recverr_count_; }

private:
  void read_udp(int fd, std::uint16_t port, const Handler& handler);

  const os::Netns& ns_;
  std::vector<os::Fd> udp_sockets_;       // the UDP sockets (listeners and senders)
  std::map<int, std::uint16_t> udp_fds_;  // their fds -> bound port, for read()
  std::map<std::pair<std::uint32_t, std::uint16_t>, int> senders_;
  std::vector<os::Fd> tcp_listeners_;
  os::Fd icmp_fd_;
  os::Fd tcp_fd_;
  os::Fd raw_fd_;
  std::uint64_t recverr_count_ = 0;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace tunlab::real
