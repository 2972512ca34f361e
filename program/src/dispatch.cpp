// Which handler answers a trapped call, and the calls that make files: open and socket decide
// between a simulated file (placed at a reserved number) and a native one.
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>

#include "filter.hpp"
#include "supervisor.hpp"

namespace tunlab::program {

namespace {

std::int64_t millis(std::uint64_t arg) {
  const int ms = static_cast<int>(arg);
  return ms < 0 ? -1 : static_cast<std::int64_t>(ms) * 1'000'000;
}

}  // namespace

Outcome Supervisor::dispatch(const seccomp_notif& call, bool expired) {
  const auto& a = call.data.args;
  switch (call.data.nr) {
    case SYS_open:
      return on_open(call, a[0], a[1]);
    case SYS_openat:
      return on_open(call, a[1], a[2]);
    case SYS_openat2:
      fail(call, ENOSYS);  // glibc's open() never uses it; a caller falls back to openat
      return {};
    case SYS_socket:
      return on_socket(call);
    case SYS_poll:
      return on_poll(call, millis(a[2]), expired);
    case SYS_ppoll:
    case SYS_select:
    case SYS_pselect6: {
      std::int64_t timeout = -1;
      const std::uint64_t address = call.data.nr == SYS_ppoll ? a[2] : a[4];
      if (address != 0) {
        const auto t = memory_.get<std::array<std::int64_t, 2>>(address);
        check_valid(call);
        if (!t) {
          fail(call, EFAULT);
          return {};
        }
        // select takes a timeval (microseconds), the others a timespec.
        timeout = (*t)[0] * 1'000'000'000 + (*t)[1] * (call.data.nr == SYS_select ? 1000 : 1);
      }
      return call.data.nr == SYS_ppoll ? on_poll(call, timeout, expired) : on_select(call, timeout, expired);
    }
    case SYS_epoll_create:
    case SYS_epoll_create1:
      place(call, make_file(FileKind::epoll, false), call.data.nr == SYS_epoll_create1 && (a[0] & EPOLL_CLOEXEC) != 0);
      return {};
    case SYS_clock_gettime:
    case SYS_gettimeofday:
    case SYS_time:
      return on_clock(call);
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
      return on_sleep(call, expired);
    case SYS_getrandom:
      return on_random(call, a[0], static_cast<std::size_t>(a[1]));
    case SYS_clone3:
      // glibc falls back to clone, whose flags the supervisor can read.
      fail(call, ENOSYS);
      return {};
    case SYS_clone:
      refuse(call, fmt::format("clone(flags {:#x})", a[0]),
             (a[0] & CLONE_THREAD) != 0 ? "a thread; only single-threaded programs run in the simulator"
                                        : "a child process; only single-process programs run in the simulator");
    case SYS_fork:
    case SYS_vfork:
      refuse(call, describe_call(call), "a child process; only single-process programs run in the simulator");
    case SYS_timerfd_create:
      return on_timerfd_create(call);
    case SYS_timer_create:
    case SYS_setitimer:
    case SYS_alarm:
      refuse(call, describe_call(call),
             "timers that signal the program are not simulated (timerfd, sleeps and waits are)");
    case SYS_signalfd:
    case SYS_signalfd4:
    case SYS_eventfd:
    case SYS_eventfd2:
    case SYS_inotify_init:
    case SYS_inotify_init1:
      refuse(call, describe_call(call), "this kind of descriptor is not simulated");
    case SYS_io_uring_setup:
      refuse(call, describe_call(call), "io_uring would bypass the supervisor");
    default:
      break;
  }
  const int fd = static_cast<int>(a[0]);
  const auto file = files_.find(fd);
  if (file == files_.end()) {
    // A native descriptor in the trapped window (a program with hundreds of files open).
    continue_natively(call);
    return {};
  }
  return on_fd_call(call, file->second, expired);
}

Outcome Supervisor::on_open(const seccomp_notif& call, std::uint64_t path_address, std::uint64_t flags) {
  const auto path = memory_.read_string(path_address);
  check_valid(call);
  if (!path) {
    continue_natively(call);  // the kernel reports the bad address itself
    return {};
  }
  const bool cloexec = (flags & O_CLOEXEC) != 0;
  const bool nonblocking = (flags & O_NONBLOCK) != 0;
  if (*path == "/dev/net/tun") {
    place(call, make_file(FileKind::tun, nonblocking), cloexec);
  } else if (*path == "/dev/urandom" || *path == "/dev/random") {
    place(call, make_file(FileKind::urandom, nonblocking), cloexec);
  } else {
    continue_natively(call);
  }
  return {};
}

Outcome Supervisor::on_socket(const seccomp_notif& call) {
  const int domain = static_cast<int>(call.data.args[0]);
  const int type = static_cast<int>(call.data.args[1]);
  const int protocol = static_cast<int>(call.data.args[2]);
  const int kind = type & 0xf;
  const std::string what = fmt::format("socket({}, {}, {})",
                                       domain == AF_INET      ? "AF_INET"
                                       : domain == AF_INET6   ? "AF_INET6"
                                       : domain == AF_PACKET  ? "AF_PACKET"
                                       : domain == AF_NETLINK ? "AF_NETLINK"
                                                              : std::to_string(domain),
                                       kind == SOCK_RAW      ? "SOCK_RAW"
                                       : kind == SOCK_DGRAM  ? "SOCK_DGRAM"
                                       : kind == SOCK_STREAM ? "SOCK_STREAM"
                                                             : std::to_string(kind),
                                       protocol);
  if (domain == AF_UNIX) {
    continue_natively(call);  // local to the program, outside the simulated network
    return {};
  }
  if (domain == AF_INET && kind == SOCK_RAW && (protocol == IPPROTO_IPIP || protocol == IPPROTO_RAW)) {
    SimFile file = make_file(FileKind::raw_ipip, (type & SOCK_NONBLOCK) != 0);
    file.hdrincl = protocol == IPPROTO_RAW;  // IPPROTO_RAW implies IP_HDRINCL
    place(call, std::move(file), (type & SOCK_CLOEXEC) != 0);
    return {};
  }
  if (domain == AF_INET && kind == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) {
    if (!env_.underlay.udp_supported()) {
      refuse(call, what, "this backend's underlay has no UDP sockets");
    }
    place(call, make_file(FileKind::udp, (type & SOCK_NONBLOCK) != 0), (type & SOCK_CLOEXEC) != 0);
    return {};
  }
  if (domain == AF_INET || domain == AF_INET6) {
    refuse(call, what, "only UDP and raw IPPROTO_IPIP/IPPROTO_RAW sockets of AF_INET are simulated");
  }
  refuse(call, what, "this address family is not simulated (it would reach the host's real network)");
}

}  // namespace tunlab::program
