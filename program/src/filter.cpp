#include "filter.hpp"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tunlab::program {

namespace {

// Calls whose first argument is a descriptor: trapped only on the reserved range. The BPF test is
// (fd & ~0x7f) == 896, i.e. 896..1023, which covers 900..999; the supervisor lets a trapped call on
// a number in that window that is not one of its files continue natively.
constexpr int kFdCalls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmmsg),
    SCMP_SYS(recvmmsg),
    SCMP_SYS(ioctl),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt),
    SCMP_SYS(fcntl),
    SCMP_SYS(bind),
    SCMP_SYS(connect),
    SCMP_SYS(close),
    SCMP_SYS(dup),
    SCMP_SYS(dup2),
    SCMP_SYS(dup3),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(shutdown),
    SCMP_SYS(listen),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_pwait2),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
};

// Always trapped: the supervisor decides (opens and sockets: simulated or native), or the call
// reads time, waits, draws randomness, or would escape the model (threads, processes, timers that
// fire on the wall clock, io_uring).
constexpr int kAlwaysCalls[] = {
    SCMP_SYS(open),           SCMP_SYS(openat),         SCMP_SYS(openat2),
    SCMP_SYS(socket),         SCMP_SYS(select),         SCMP_SYS(pselect6),
    SCMP_SYS(poll),           SCMP_SYS(ppoll),          SCMP_SYS(epoll_create),
    SCMP_SYS(epoll_create1),  SCMP_SYS(clock_gettime),  SCMP_SYS(gettimeofday),
    SCMP_SYS(time),           SCMP_SYS(nanosleep),      SCMP_SYS(clock_nanosleep),
    SCMP_SYS(getrandom),      SCMP_SYS(timerfd_create), SCMP_SYS(timer_create),
    SCMP_SYS(setitimer),      SCMP_SYS(alarm),          SCMP_SYS(clone),
    SCMP_SYS(clone3),         SCMP_SYS(fork),           SCMP_SYS(vfork),
    SCMP_SYS(io_uring_setup), SCMP_SYS(signalfd),       SCMP_SYS(signalfd4),
    SCMP_SYS(eventfd),        SCMP_SYS(eventfd2),       SCMP_SYS(inotify_init),
    SCMP_SYS(inotify_init1),
};

struct Context {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  ~Context() { seccomp_release(ctx); }
};

void check(int rc, const char* what) {
  if (rc < 0) {
    throw std::runtime_error(std::string("seccomp filter: ") + what + ": " + std::strerror(-rc));
  }
}

}  // namespace

std::vector<sock_filter> build_filter() {
  Context c;
  if (c.ctx == nullptr) {
    throw std::runtime_error("seccomp filter: seccomp_init failed");
  }
  // The child sets no_new_privs itself before installing the exported program.
  check(seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0), "attribute");
  for (const int call : kFdCalls) {
    check(seccomp_rule_add(c.ctx, SCMP_ACT_NOTIFY, call, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffff80U, 896)), "fd rule");
  }
  for (const int call : kAlwaysCalls) {
    check(seccomp_rule_add(c.ctx, SCMP_ACT_NOTIFY, call, 0), "rule");
  }
  const int fd = memfd_create("tunlab-filter", MFD_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error(std::string("seccomp filter: memfd_create: ") + std::strerror(errno));
  }
  check(seccomp_export_bpf(c.ctx, fd), "export");
  const off_t size = lseek(fd, 0, SEEK_END);
  std::vector<sock_filter> program(static_cast<std::size_t>(size) / sizeof(sock_filter));
  const ssize_t got = pread(fd, program.data(), program.size() * sizeof(sock_filter), 0);
  close(fd);
  if (got != static_cast<ssize_t>(program.size() * sizeof(sock_filter)) || program.empty()) {
    throw std::runtime_error("seccomp filter: short export");
  }
  return program;
}

}  // namespace tunlab::program
