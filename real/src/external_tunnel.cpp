// A tunnel command as app B (see external_tunnel.hpp): the persistent device it attaches to, the
// process in its host's namespace, the bounded wait for its attach, and its bounded stop.
#include "tunlab/real/external_tunnel.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "tunlab/scenario/shell_quote.hpp"

namespace tunlab::real {

namespace {

// IFF_LOWER_UP (carrier) from <linux/if.h>, which cannot be included beside <net/if.h>.
constexpr unsigned kIffLowerUp = 1U << 16;

std::string status_text(int status) {
  if (WIFEXITED(status)) {
    return fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  }
  return fmt::format("ended with wait status {}", status);
}

// An rtnetlink socket in `ns` that hears link changes, and the device's index there.
struct LinkWatch {
  os::Fd socket;
  int ifindex = 0;
};

// Asks for the device's current state; the answer arrives like a notification.
void ask_link(const LinkWatch& w) {
  struct {
    nlmsghdr header;
    ifinfomsg info;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.info.ifi_family = AF_UNSPEC;
  request.info.ifi_index = w.ifindex;
  if (::send(w.socket.get(), &request, sizeof request, 0) < 0) {
    os::throw_errno("RTM_GETLINK");
  }
}

LinkWatch watch_link(const os::Netns& ns, const std::string& device) {
  return os::run_in(ns, [&] {
    LinkWatch w;
    w.socket = os::Fd::checked(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE),
                               "socket(NETLINK_ROUTE)");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = RTMGRP_LINK;
    if (::bind(w.socket.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      os::throw_errno("bind(NETLINK_ROUTE, RTMGRP_LINK)");
    }
    w.ifindex = static_cast<int>(::if_nametoindex(device.c_str()));
    if (w.ifindex == 0) {
      os::throw_errno("if_nametoindex(" + device + ")");
    }
    ask_link(w);  // subscribed first, then asked: a change between the two cannot be missed
    return w;
  });
}

// Reads what the socket has; true when a message says the device has carrier.
bool carrier_seen(const LinkWatch& w) {
  std::array<char, 16384> buffer{};
  for (;;) {
    const ssize_t n = ::recv(w.socket.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        return false;
      }
      if (errno == ENOBUFS) {
        ask_link(w);  // notifications were lost: ask for the state again
        continue;
      }
      os::throw_errno("recv(NETLINK_ROUTE)");
    }
    const auto size = static_cast<std::size_t>(n);
    for (std::size_t offset = 0; offset + sizeof(nlmsghdr) <= size;) {
      nlmsghdr header{};
      std::memcpy(&header, buffer.data() + offset, sizeof header);
      if (header.nlmsg_len < sizeof header || offset + header.nlmsg_len > size) {
        break;
      }
      if (header.nlmsg_type == RTM_NEWLINK && header.nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg))) {
        ifinfomsg info{};
        std::memcpy(&info, buffer.data() + offset + NLMSG_HDRLEN, sizeof info);
        if (info.ifi_index == w.ifindex && (info.ifi_flags & kIffLowerUp) != 0) {
          return true;
        }
      }
      offset += NLMSG_ALIGN(header.nlmsg_len);
    }
  }
}

}  // namespace

void create_persistent_tun(const os::Netns& ns, const std::string& name, bool tap) {
  os::run_in(ns, [&] {
    const os::Fd fd = os::Fd::checked(::open("/dev/net/tun", O_RDWR | O_CLOEXEC), "open /dev/net/tun");
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = static_cast<short>((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
    if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
      os::throw_errno("TUNSETIFF " + name);
    }
    if (::ioctl(fd.get(), TUNSETPERSIST, 1) != 0) {
      os::throw_errno("TUNSETPERSIST " + name);
    }
  });
}

ExternalTunnel::ExternalTunnel(const os::Netns& ns, std::string host, std::string device, std::string command)
    : ns_(ns), host_(std::move(host)), device_(std::move(device)), command_(std::move(command)) {
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  const std::string shell_command = "exec " + command_;
  const pid_t parent = ::getpid();
  const int ns_fd = ns.fd();
  pid_ = ::fork();
  if (pid_ < 0) {
    os::throw_errno("fork for the tunnel command on " + host_);
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);  // tunlab died before the line above took effect
    }
    if (::setns(ns_fd, CLONE_NEWNET) != 0) {
      ::_exit(126);
    }
    sigset_t all;
    ::sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);  // stdout is tunlab's (--json)
    ::close_range(3, ~0U, 0);
    ::execl("/bin/sh", "sh", "-c", shell_command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
  // The system call, not glibc 2.36's pidfd_open, whose header lacks C linkage for C++.
  pidfd_ = os::Fd::checked(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)),
                           "pidfd_open for the tunnel command on " + host_);
}

ExternalTunnel::~ExternalTunnel() {
  try {
    stop();
  } catch (...) {
    ::kill(-pid_, SIGKILL);
  }
}

std::optional<std::string> ExternalTunnel::exited() {
  if (!status_) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = status;
    }
  }
  return status_ ? std::optional<std::string>(status_text(*status_)) : std::nullopt;
}

void ExternalTunnel::wait_attached(std::chrono::milliseconds timeout) {
  const LinkWatch watch = watch_link(ns_, device_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (carrier_seen(watch)) {
      return;
    }
    if (const auto how = exited()) {
      throw std::runtime_error(
          fmt::format("tunnel command on {} {} before attaching to {}: {}", host_, *how, device_, command_));
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error(fmt::format("tunnel command on {} did not attach to {} within {} ms: {}", host_, device_,
                                           timeout.count(), command_));
    }
    std::array<pollfd, 2> fds{{{watch.socket.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}}};
    ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
  }
}

void ExternalTunnel::stop(std::chrono::milliseconds bound) {
  if (exited()) {
    ::kill(-pid_, SIGKILL);  // anything it left in its group
    return;
  }
  ::kill(-pid_, SIGTERM);
  pollfd fd{pidfd_.get(), POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(bound.count())) <= 0) {
    ::kill(-pid_, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
  ::kill(-pid_, SIGKILL);
}

}  // namespace tunlab::real
