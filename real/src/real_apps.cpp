// Application sockets inside a host's namespace (see real_apps.hpp).
#include "tunlab/real/real_apps.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tunlab::real {

namespace {

void set_int(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    os::throw_errno(std::string("setsockopt ") + what);
  }
}

sockaddr_in to_sockaddr(Ipv4Address address, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = static_cast<std::uint32_t>(address);
  return sin;
}

os::Fd open_socket(int type, int protocol, const char* what) {
  return os::Fd::checked(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol),
                         std::string("socket for ") + what);
}

void bind_to(int fd, Ipv4Address address, std::uint16_t port) {
  const sockaddr_in sin = to_sockaddr(address, port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sin), sizeof sin) != 0) {
    os::throw_errno("bind " + address.to_string() + ":" + std::to_string(port));
  }
}

// The scenario's df: true is "this packet carries DF", not "the stack does path MTU discovery":
// IP_PMTUDISC_PROBE sets DF but sizes against the interface MTU, as the simulator's stacks do (they
// keep no per-destination path MTU). IP_PMTUDISC_DO would have the kernel refuse a datagram
// above a path MTU learned from an earlier ICMP 3/4 with EMSGSIZE before app B ever sees it.
void apply(int fd, const SendOptions& o) {
  set_int(fd, IPPROTO_IP, IP_TOS, o.tos, "IP_TOS");
  set_int(fd, IPPROTO_IP, IP_TTL, o.ttl, "IP_TTL");
  set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, o.df ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DONT, "IP_MTU_DISCOVER");
}

int send_with_source(int fd, ByteView bytes, const sockaddr_in& to, const std::optional<Ipv4Address>& src) {
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))]{};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_in*>(&to);
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (src) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_spec_dst.s_addr = static_cast<std::uint32_t>(*src);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  return ::sendmsg(fd, &msg, 0) < 0 ? errno : 0;
}

}  // namespace

HostApps::HostApps(const os::Netns& ns, std::set<std::uint16_t> udp_ports, std::set<std::uint16_t> tcp_ports)
    : ns_(ns), buffer_(65536) {
  os::run_in(ns_, [&] {
    for (const std::uint16_t port : udp_ports) {
      const int fd = udp_sockets_.emplace_back(open_socket(SOCK_DGRAM, 0, "a UDP app")).get();
      udp_fds_.emplace(fd, port);
      // Sender sockets bind a specific address to the same port (a host may send from 40000 and
      // receive on 40000): both sides need SO_REUSEADDR.
      set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      set_int(fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
      bind_to(fd, Ipv4Address("0.0.0.0"), port);
    }
    icmp_fd_ = open_socket(SOCK_RAW, IPPROTO_ICMP, "the raw ICMP app socket");
    tcp_fd_ = open_socket(SOCK_RAW, IPPROTO_TCP, "the raw TCP app socket");
    raw_fd_ = open_socket(SOCK_RAW, IPPROTO_RAW, "the IP_HDRINCL app socket");
    // A filter that accepts nothing: tcp_v4_rcv runs socket filters before a listener answers,
    // so segments to these ports die silently after the raw socket has seen them.
    sock_filter drop_all{BPF_RET | BPF_K, 0, 0, 0};
    const sock_fprog program{1, &drop_all};
    for (const std::uint16_t port : tcp_ports) {
      const int fd = tcp_listeners_.emplace_back(open_socket(SOCK_STREAM, 0, "a TCP listener")).get();
      set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) {
        os::throw_errno("SO_ATTACH_FILTER on a TCP listener");
      }
      bind_to(fd, Ipv4Address("0.0.0.0"), port);
      if (::listen(fd, 1) != 0) {
        os::throw_errno("listen on TCP port " + std::to_string(port));
      }
    }
  });
}

HostApps::~HostApps() = default;

std::vector<int> HostApps::fds() const {
  std::vector<int> out{icmp_fd_.get(), tcp_fd_.get()};
  for (const auto& [fd, port] : udp_fds_) {
    out.push_back(fd);
  }
  return out;
}

int HostApps::udp_sender(Ipv4Address src, std::uint16_t port) {
  const auto key = std::make_pair(static_cast<std::uint32_t>(src), port);
  if (const auto it = senders_.find(key); it != senders_.end()) {
    return it->second;
  }
  os::Fd socket = os::run_in(ns_, [&] {
    os::Fd s = open_socket(SOCK_DGRAM, 0, "a UDP sender");
    set_int(s.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    set_int(s.get(), IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
    bind_to(s.get(), src, port);
    return s;
  });
  const int fd = udp_sockets_.emplace_back(std::move(socket)).get();
  senders_.emplace(key, fd);
  udp_fds_.emplace(fd, port);
  return fd;
}

int HostApps::send_udp(Ipv4Address src, std::uint16_t src_port, Ipv4Address dst, std::uint16_t dst_port,
                       ByteView payload, const SendOptions& options) {
  const int fd = udp_sender(src, src_port);
  apply(fd, options);
  // A pending error from an earlier ICMP message would fail this send without sending it.
  int pending = 0;
  socklen_t length = sizeof pending;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length);
  return send_with_source(fd, payload, to_sockaddr(dst, dst_port), std::nullopt);
}

int HostApps::send_icmp(Ipv4Address dst, ByteView icmp, const SendOptions& options) {
  apply(icmp_fd_.get(), options);
  return send_with_source(icmp_fd_.get(), icmp, to_sockaddr(dst, 0), options.src);
}

int HostApps::send_ip(ByteView packet) {
  const auto ip = Ipv4View::parse(packet);
  if (!ip) {
    return EINVAL;
  }
  const sockaddr_in to = to_sockaddr(ip->dst(), 0);
  return ::sendto(raw_fd_.get(), packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0
             ? errno
             : 0;
}

void HostApps::read(int fd, const Handler& handler) {
  if (const auto it = udp_fds_.find(fd); it != udp_fds_.end()) {
    read_udp(fd, it->second, handler);
    return;
  }
  const bool icmp = fd == icmp_fd_.get();
  while (true) {
    const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    AppArrival arrival;
    arrival.kind = icmp ? AppArrival::Kind::icmp_packet : AppArrival::Kind::tcp_packet;
    arrival.bytes.assign(buffer_.begin(), buffer_.begin() + n);
    handler(arrival);
  }
}

void HostApps::read_udp(int fd, std::uint16_t port, const Handler& handler) {
  // The error queue first: IP_RECVERR queues each ICMP error about our datagrams there (and
  // polls as EPOLLERR until it is read). The raw ICMP socket already reports the message itself.
  while (::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_ERRQUEUE) >= 0) {
    ++recverr_count_;
    AppArrival arrival;
    arrival.kind = AppArrival::Kind::udp_error;
    arrival.port = port;
    handler(arrival);
  }
  while (true) {
    const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      }
      continue;  // a pending socket error (ECONNREFUSED...): reading clears it
    }
    AppArrival arrival;
    arrival.kind = AppArrival::Kind::udp_payload;
    arrival.port = port;
    arrival.bytes.assign(buffer_.begin(), buffer_.begin() + n);
    handler(arrival);
  }
}

}  // namespace tunlab::real
