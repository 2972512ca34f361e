// Calls on a simulated file: reads, writes, sends and receives, ioctl, fcntl, socket options,
// close. Anything a tunnel program is not expected to do on these files is refused by name.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "supervisor.hpp"

namespace tunlab::program {

namespace {

constexpr std::size_t kMaxIo = 65536;  // bytes gathered from the program for one packet

}  // namespace

std::optional<std::vector<iovec>> Supervisor::read_iovecs(const seccomp_notif& call, std::uint64_t address,
                                                          std::size_t count) {
  if (count > 1024) {
    return std::nullopt;
  }
  std::vector<iovec> buffers(count);
  const bool ok = memory_.read(address, buffers.data(), count * sizeof(iovec));
  check_valid(call);
  return ok ? std::optional(buffers) : std::nullopt;
}

std::optional<std::vector<std::uint8_t>> Supervisor::gather(const seccomp_notif& call,
                                                            const std::vector<iovec>& buffers) {
  std::vector<std::uint8_t> bytes;
  for (const iovec& b : buffers) {
    const std::size_t take = std::min(b.iov_len, kMaxIo - bytes.size());
    const std::size_t at = bytes.size();
    bytes.resize(at + take);
    if (!memory_.read(reinterpret_cast<std::uint64_t>(b.iov_base), bytes.data() + at, take)) {
      check_valid(call);
      return std::nullopt;
    }
  }
  check_valid(call);
  return bytes;
}

bool Supervisor::scatter(const std::vector<iovec>& buffers, const std::uint8_t* data, std::size_t size) {
  std::size_t done = 0;
  for (const iovec& b : buffers) {
    const std::size_t put = std::min(b.iov_len, size - done);
    if (!memory_.write(reinterpret_cast<std::uint64_t>(b.iov_base), data + done, put)) {
      return false;
    }
    done += put;
  }
  return true;
}

Outcome Supervisor::on_fd_call(const seccomp_notif& call, SimFile& file, bool expired) {
  const auto& a = call.data.args;
  const int fd = static_cast<int>(a[0]);
  switch (call.data.nr) {
    case SYS_read:
      return on_read(call, file, {{reinterpret_cast<void*>(a[1]), static_cast<std::size_t>(a[2])}}, 0, 0, 0, 0);
    case SYS_recvfrom:
      return on_read(call, file, {{reinterpret_cast<void*>(a[1]), static_cast<std::size_t>(a[2])}},
                     static_cast<int>(a[3]), a[4], a[5], 0);
    case SYS_readv: {
      const auto buffers = read_iovecs(call, a[1], static_cast<std::size_t>(a[2]));
      if (!buffers) {
        fail(call, EFAULT);
        return {};
      }
      return on_read(call, file, *buffers, 0, 0, 0, 0);
    }
    case SYS_recvmsg: {
      const auto msg = memory_.get<msghdr>(a[1]);
      check_valid(call);
      const auto buffers =
          msg ? read_iovecs(call, reinterpret_cast<std::uint64_t>(msg->msg_iov), msg->msg_iovlen) : std::nullopt;
      if (!buffers) {
        fail(call, EFAULT);
        return {};
      }
      if ((a[2] & MSG_ERRQUEUE) != 0) {
        return on_error_queue(call, file, *buffers, a[1]);
      }
      return on_read(call, file, *buffers, static_cast<int>(a[2]), 0, 0, a[1]);
    }
    case SYS_write:
    case SYS_sendto:
    case SYS_writev:
    case SYS_sendmsg: {
      std::vector<iovec> buffers;
      std::uint64_t name = 0;
      if (call.data.nr == SYS_write || call.data.nr == SYS_sendto) {
        buffers = {{reinterpret_cast<void*>(a[1]), static_cast<std::size_t>(a[2])}};
        name = call.data.nr == SYS_sendto ? a[4] : 0;
      } else {
        std::optional<msghdr> msg;
        if (call.data.nr == SYS_sendmsg) {
          msg = memory_.get<msghdr>(a[1]);
          check_valid(call);
        }
        const auto iov = call.data.nr == SYS_writev ? read_iovecs(call, a[1], static_cast<std::size_t>(a[2]))
                         : msg ? read_iovecs(call, reinterpret_cast<std::uint64_t>(msg->msg_iov), msg->msg_iovlen)
                               : std::nullopt;
        if (!iov) {
          fail(call, EFAULT);
          return {};
        }
        buffers = *iov;
        name = msg ? reinterpret_cast<std::uint64_t>(msg->msg_name) : 0;
      }
      std::optional<Ipv4Address> destination;
      std::uint16_t destination_port = 0;
      if (name != 0) {
        const auto address = memory_.get<sockaddr_in>(name);
        check_valid(call);
        if (!address) {
          fail(call, EFAULT);
          return {};
        }
        destination = Ipv4Address(address->sin_addr.s_addr);
        destination_port = ntohs(address->sin_port);
      }
      const auto bytes = gather(call, buffers);
      if (!bytes) {
        fail(call, EFAULT);
        return {};
      }
      return on_write(call, file, *bytes, destination, destination_port);
    }
    case SYS_timerfd_settime:
      return on_timerfd_settime(call, file);
    case SYS_timerfd_gettime:
      return on_timerfd_gettime(call, file);
    case SYS_ioctl:
      return on_ioctl(call, file);
    case SYS_fcntl:
      return on_fcntl(call, file);
    case SYS_setsockopt:
      return on_setsockopt(call, file);
    case SYS_getsockopt:
      return on_getsockopt(call, file);
    case SYS_bind:
      return on_bind(call, file);
    case SYS_connect: {
      const auto address = memory_.get<sockaddr_in>(a[1]);
      check_valid(call);
      if (!address) {
        fail(call, EFAULT);
        return {};
      }
      int error = 0;
      if (file.kind == FileKind::udp && file.port == 0 && !bind_udp(file, 0, error)) {
        fail(call, error);
        return {};
      }
      file.connected = Ipv4Address(address->sin_addr.s_addr);
      file.peer_port = ntohs(address->sin_port);
      reply(call, 0);
      return {};
    }
    case SYS_getpeername: {
      if (!file.connected) {
        fail(call, ENOTCONN);
        return {};
      }
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = static_cast<std::uint32_t>(*file.connected);
      address.sin_port = htons(file.peer_port);
      const socklen_t length = sizeof(address);
      if (!memory_.put(a[1], address) || !memory_.put(a[2], length)) {
        fail(call, EFAULT);
        return {};
      }
      reply(call, 0);
      return {};
    }
    case SYS_getsockname: {
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(file.port);
      address.sin_addr.s_addr = static_cast<std::uint32_t>(env_.config.local);
      const socklen_t length = sizeof(address);
      if (!memory_.put(a[1], address) || !memory_.put(a[2], length)) {
        fail(call, EFAULT);
        return {};
      }
      reply(call, 0);
      return {};
    }
    case SYS_close:
      files_.erase(fd);
      for (auto& [number, other] : files_) {
        other.interest.erase(fd);
      }
      continue_natively(call);  // closes the placeholder object
      return {};
    case SYS_epoll_ctl:
      return on_epoll_ctl(call, file);
    case SYS_epoll_wait:
      return on_epoll_wait(call, file,
                           a[3] == 0                    ? 0
                           : static_cast<int>(a[3]) < 0 ? -1
                                                        : static_cast<std::int64_t>(static_cast<int>(a[3])) * 1'000'000,
                           expired);
    case SYS_epoll_pwait:
      return on_epoll_wait(
          call, file, static_cast<int>(a[3]) < 0 ? -1 : static_cast<std::int64_t>(static_cast<int>(a[3])) * 1'000'000,
          expired);
    default:
      break;
  }
  refuse(call, describe_call(call), "not simulated on a simulated TUN device or socket");
}

Outcome Supervisor::on_ioctl(const seccomp_notif& call, SimFile& file) {
  const unsigned long request = call.data.args[1];
  const std::uint64_t arg = call.data.args[2];
  if (request == FIONBIO) {
    const auto value = memory_.get<int>(arg);
    check_valid(call);
    if (!value) {
      fail(call, EFAULT);
      return {};
    }
    file.nonblocking = *value != 0;
    reply(call, 0);
    return {};
  }
  if (file.kind == FileKind::tun && (request == TUNSETIFF || request == TUNGETIFF)) {
    auto ifr = memory_.get<ifreq>(arg);
    check_valid(call);
    if (!ifr) {
      fail(call, EFAULT);
      return {};
    }
    const std::string device(env_.device.name());
    if (request == TUNSETIFF) {
      const std::string asked(ifr->ifr_name, strnlen(ifr->ifr_name, IFNAMSIZ));
      const unsigned flags = static_cast<unsigned short>(ifr->ifr_flags);
      const unsigned want = env_.device.kind() == DeviceKind::tun ? IFF_TUN : IFF_TAP;
      if (!asked.empty() && asked != device) {
        refuse(call, fmt::format("ioctl(TUNSETIFF, \"{}\")", asked),
               fmt::format("the scenario's device on this host is {}", device));
      }
      // IFF_ONE_QUEUE has been a no-op since Linux 3.8; programs (OpenVPN) still set it.
      if ((flags & (IFF_TUN | IFF_TAP)) != want || (flags & IFF_NO_PI) == 0 ||
          (flags & ~(IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_ONE_QUEUE | IFF_VNET_HDR)) != 0) {
        refuse(call, fmt::format("ioctl(TUNSETIFF, \"{}\", flags {:#x})", asked, flags),
               fmt::format("the simulator models {} with IFF_NO_PI, optionally IFF_VNET_HDR (IFF_ONE_QUEUE "
                           "ignored), and no other flags",
                           want == IFF_TUN ? "IFF_TUN" : "IFF_TAP"));
      }
      vnet_header_ = (flags & IFF_VNET_HDR) != 0 ? vnet_size_ : 0;
      file.attached = true;
    }
    std::memset(ifr->ifr_name, 0, IFNAMSIZ);
    std::memcpy(ifr->ifr_name, device.data(), std::min<std::size_t>(device.size(), IFNAMSIZ - 1));
    ifr->ifr_flags = static_cast<short>((env_.device.kind() == DeviceKind::tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI |
                                        (vnet_header_ != 0 ? IFF_VNET_HDR : 0));
    if (!memory_.put(arg, *ifr)) {
      fail(call, EFAULT);
      return {};
    }
    reply(call, 0);
    return {};
  }
  if (file.kind == FileKind::tun && request == TUNSETOFFLOAD) {
    // Offloads the program accepts: the simulated device may then hand it super-packets, and
    // never does (the kernel is allowed not to either), so every flag set is accepted.
    reply(call, 0);
    return {};
  }
  if (file.kind == FileKind::tun && (request == TUNSETVNETHDRSZ || request == TUNGETVNETHDRSZ)) {
    if (request == TUNGETVNETHDRSZ) {
      const int size = static_cast<int>(vnet_size_);
      memory_.put(arg, size) ? reply(call, 0) : fail(call, EFAULT);
      return {};
    }
    const auto size = memory_.get<int>(arg);
    check_valid(call);
    if (!size) {
      fail(call, EFAULT);
      return {};
    }
    if (*size < 10 || *size > 64) {
      fail(call, EINVAL);  // at least a virtio_net_hdr
      return {};
    }
    vnet_size_ = static_cast<std::size_t>(*size);
    if (vnet_header_ != 0) {
      vnet_header_ = vnet_size_;
    }
    reply(call, 0);
    return {};
  }
  if (request == SIOCGIFMTU || request == SIOCSIFMTU || request == SIOCGIFFLAGS || request == SIOCSIFFLAGS) {
    return on_interface_ioctl(call, request, arg);
  }
  refuse(call, fmt::format("ioctl({}, {:#x}, {:#x})", static_cast<int>(call.data.args[0]), request, arg),
         "this request is not simulated");
}

// The interface requests tunnel programs make on their device, through any simulated descriptor:
// its MTU and flags. The device is the scenario's: its MTU stays what the scenario says (a change
// is refused, not ignored), and it is up.
Outcome Supervisor::on_interface_ioctl(const seccomp_notif& call, unsigned long request, std::uint64_t arg) {
  auto ifr = memory_.get<ifreq>(arg);
  check_valid(call);
  if (!ifr) {
    fail(call, EFAULT);
    return {};
  }
  const std::string name(ifr->ifr_name, strnlen(ifr->ifr_name, IFNAMSIZ));
  const std::string what = fmt::format("ioctl({}, \"{}\")",
                                       request == SIOCGIFMTU     ? "SIOCGIFMTU"
                                       : request == SIOCSIFMTU   ? "SIOCSIFMTU"
                                       : request == SIOCGIFFLAGS ? "SIOCGIFFLAGS"
                                                                 : "SIOCSIFFLAGS",
                                       name);
  if (name != env_.device.name()) {
    refuse(call, what,
           fmt::format("only the tunnel's device ({}) is simulated for interface requests", env_.device.name()));
  }
  const DeviceCapabilities device = env_.device.capabilities();
  const int flags = device.kind == DeviceKind::tun ? IFF_UP | IFF_POINTOPOINT | IFF_RUNNING | IFF_NOARP | IFF_MULTICAST
                                                   : IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST;
  switch (request) {
    case SIOCGIFMTU:
      ifr->ifr_mtu = static_cast<int>(device.mtu);
      break;
    case SIOCSIFMTU:
      if (ifr->ifr_mtu != static_cast<int>(device.mtu)) {
        refuse(call, fmt::format("{} to {}", what, ifr->ifr_mtu),
               fmt::format("the scenario sets the device's MTU ({}); set it there", device.mtu));
      }
      break;
    case SIOCGIFFLAGS:
      ifr->ifr_flags = static_cast<short>(flags);
      break;
    default:  // SIOCSIFFLAGS
      if ((ifr->ifr_flags & IFF_UP) == 0) {
        refuse(call, fmt::format("{} without IFF_UP", what),
               "the scenario takes the device down (device faults: down_at), not the program");
      }
      break;
  }
  if (!memory_.put(arg, *ifr)) {
    fail(call, EFAULT);
    return {};
  }
  reply(call, 0);
  return {};
}

Outcome Supervisor::on_fcntl(const seccomp_notif& call, SimFile& file) {
  const int command = static_cast<int>(call.data.args[1]);
  switch (command) {
    case F_GETFL:
      reply(call, O_RDWR | (file.nonblocking ? O_NONBLOCK : 0));
      return {};
    case F_SETFL:
      file.nonblocking = (call.data.args[2] & O_NONBLOCK) != 0;
      reply(call, 0);
      return {};
    case F_GETFD:
    case F_SETFD:
      continue_natively(call);  // close-on-exec belongs to the descriptor, which is real
      return {};
    default:
      refuse(call, describe_call(call), "this fcntl command is not simulated on a simulated file");
  }
}

Outcome Supervisor::on_setsockopt(const seccomp_notif& call, SimFile& file) {
  const int level = static_cast<int>(call.data.args[1]);
  const int name = static_cast<int>(call.data.args[2]);
  const auto value = memory_.get<int>(call.data.args[3]);
  check_valid(call);
  const bool socket = file.kind == FileKind::raw_ipip || file.kind == FileKind::udp;
  if (!socket || !value) {
    fail(call, !socket ? ENOTSOCK : EFAULT);
    return {};
  }
  if (level == IPPROTO_IP) {
    switch (name) {
      case IP_HDRINCL:
        if (file.kind == FileKind::udp) {
          fail(call, ENOPROTOOPT);
          return {};
        }
        file.hdrincl = *value != 0;
        break;
      case IP_TTL:
        file.ttl = *value < 0 ? 64 : *value;
        break;
      case IP_TOS:
        file.tos = *value & 0xff;
        break;
      case IP_MTU_DISCOVER:
        file.df = *value != IP_PMTUDISC_DONT;
        break;
      case IP_RECVERR:
        file.recverr = *value != 0;
        if (!file.recverr) {
          file.errors.clear();
        }
        break;
      default:
        refuse(call, fmt::format("setsockopt(IPPROTO_IP, {})", name), "this option is not simulated");
    }
    reply(call, 0);
    return {};
  }
  if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_SNDBUF || name == SO_REUSEADDR || name == SO_PRIORITY ||
                              name == SO_RCVBUFFORCE || name == SO_SNDBUFFORCE)) {
    reply(call, 0);  // buffer sizes and priorities do not change what the simulator does
    return {};
  }
  refuse(call, fmt::format("setsockopt({}, {})", level, name), "this option is not simulated");
}

Outcome Supervisor::on_getsockopt(const seccomp_notif& call, SimFile& file) {
  const int level = static_cast<int>(call.data.args[1]);
  const int name = static_cast<int>(call.data.args[2]);
  std::optional<int> value;
  if (level == SOL_SOCKET && name == SO_TYPE) {
    value = file.kind == FileKind::udp ? SOCK_DGRAM : SOCK_RAW;
  } else if (level == SOL_SOCKET && name == SO_ERROR) {
    value = 0;
  } else if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF)) {
    value = 212992;  // Linux's default (net.core.wmem_default, rmem_default): buffers are not modelled
  } else if (level == IPPROTO_IP && name == IP_MTU_DISCOVER) {
    value = file.df ? IP_PMTUDISC_WANT : IP_PMTUDISC_DONT;
  } else if (level == IPPROTO_IP && name == IP_HDRINCL) {
    value = file.hdrincl ? 1 : 0;
  } else if (level == IPPROTO_IP && name == IP_TTL) {
    value = file.ttl;
  } else if (level == IPPROTO_IP && name == IP_TOS) {
    value = file.tos;
  }
  if (!value) {
    refuse(call, fmt::format("getsockopt({}, {})", level, name), "this option is not simulated");
  }
  const socklen_t length = sizeof(int);
  if (!memory_.put(call.data.args[3], *value) || !memory_.put(call.data.args[4], length)) {
    fail(call, EFAULT);
    return {};
  }
  reply(call, 0);
  return {};
}

Outcome Supervisor::on_bind(const seccomp_notif& call, SimFile& file) {
  if (file.kind != FileKind::udp) {
    reply(call, 0);  // a raw socket's source address is the tunnel's local one either way
    return {};
  }
  const auto address = memory_.get<sockaddr_in>(call.data.args[1]);
  check_valid(call);
  if (!address) {
    fail(call, EFAULT);
    return {};
  }
  const Ipv4Address local(address->sin_addr.s_addr);
  if (address->sin_addr.s_addr != INADDR_ANY && local != env_.config.local) {
    fail(call, EADDRNOTAVAIL);  // the tunnel's host has one address the program may bind
    return {};
  }
  int error = 0;
  if (file.port != 0) {
    fail(call, EINVAL);
    return {};
  }
  if (!bind_udp(file, ntohs(address->sin_port), error)) {
    fail(call, error);
    return {};
  }
  reply(call, 0);
  return {};
}

bool Supervisor::bind_udp(SimFile& file, std::uint16_t port, int& error) {
  if (port == 0) {
    // The next free ephemeral port, in order: deterministic, where Linux picks at random.
    for (int tries = 0; tries < 28232 && port == 0; ++tries) {
      const std::uint16_t candidate = next_ephemeral_port_;
      next_ephemeral_port_ = candidate == 60999 ? 32768 : static_cast<std::uint16_t>(candidate + 1);
      if (env_.underlay.bind_udp(candidate)) {
        port = candidate;
      }
    }
    if (port == 0) {
      error = EADDRINUSE;
      return false;
    }
  } else if (!env_.underlay.bind_udp(port)) {
    error = EADDRINUSE;
    return false;
  }
  file.port = port;
  udp_received_[port];
  return true;
}

}  // namespace tunlab::program
