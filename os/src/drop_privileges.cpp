// drop_privileges(): user switch with libcap-ng, no_new_privs, and a libseccomp allow-list.
#include "tunlab/os/drop_privileges.hpp"

#include <cap-ng.h>
#include <pwd.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunlab::os {

namespace {

// What the daemon does after setup: the epoll loop (epoll, signalfd and eventfd reads), TUN reads
// and writes, raw-socket sends and receives (with the error queue), counters to stdout, clean exit
// (closing the device removes it; no privilege needed). Plus what the C/C++ runtime needs: memory,
// the clock, futexes, signals and abort().
// Batching (issue 9) and io_uring may come: they are listed already, as harmless as their
// one-at-a-time counterparts.
constexpr const char* kAllowed[] = {
    // the event loop
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "poll", "ppoll", "select", "pselect6",
    // descriptors: TUN, raw socket, signalfd, eventfd, stdout/stderr
    "read", "readv", "write", "writev", "pread64", "pwrite64", "close", "fcntl", "ioctl", "lseek", "fstat",
    "newfstatat", "statx", "dup", "dup3",
    // sockets
    "recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg", "getsockopt", "setsockopt", "getsockname",
    "connect", "getpeername",
    // io_uring, should the loop move to it
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    // memory
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
    // time, threads, signals
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "timerfd_settime",
    "timerfd_gettime", "futex", "sched_yield", "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack",
    "restart_syscall", "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getrandom", "tgkill", "kill",
    // the end
    "exit", "exit_group",
#if defined(__SANITIZE_ADDRESS__) || defined(TUNLAB_SANITIZER_SYSCALLS)
    // AddressSanitizer's and LeakSanitizer's runtime at exit: LSan stops the process in a traced
    // clone and reads /proc/self/maps. Only in sanitizer builds.
    "clone", "clone3", "ptrace", "wait4", "waitid", "prctl", "sched_getaffinity", "openat", "open", "readlink",
    "readlinkat", "getdents64", "getppid", "prlimit64", "setrlimit", "getrlimit", "uname", "pipe2",
#endif
    nullptr};

[[noreturn]] void fail(const std::string& step, int error) {
  throw std::runtime_error("dropping privileges: " + step + ": " + std::strerror(error));
}

}  // namespace

const char* const* seccomp_allowed_syscalls() {
  return kAllowed;
}

void drop_privileges(const PrivilegeDropOptions& options) {
  // 1. The user: its uid and gid, no supplementary groups, no capability left in any set.
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (const int error = ::getpwnam_r(options.user.c_str(), &entry, buffer.data(), buffer.size(), &found);
      error != 0 || found == nullptr) {
    throw std::runtime_error("dropping privileges: --user " + options.user + ": no such user");
  }
  if (found->pw_uid == 0) {
    throw std::runtime_error("dropping privileges: --user " + options.user + " is root (uid 0)");
  }
  capng_clear(CAPNG_SELECT_ALL);
  if (capng_change_id(static_cast<int>(found->pw_uid), static_cast<int>(found->pw_gid),
                      static_cast<capng_flags_t>(CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING)) != 0) {
    fail("switching to user " + options.user + " (capng_change_id)", errno != 0 ? errno : EPERM);
  }
  // Whatever libcap-ng did, check the outcome: no way back to root, no capability.
  if (::setuid(0) == 0 || ::geteuid() == 0 || ::getuid() == 0) {
    throw std::runtime_error("dropping privileges: still root after the switch");
  }
  capng_get_caps_process();
  if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
    throw std::runtime_error("dropping privileges: capabilities left after the switch");
  }
  // 2. Nothing executed later may gain privileges (setuid binaries, file capabilities).
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    fail("PR_SET_NO_NEW_PRIVS", errno);
  }
  if (!options.seccomp) {
    return;
  }
  // 3. The allow-list; any other system call kills the whole process.
#if defined(__SANITIZE_ADDRESS__)
  // LeakSanitizer's end-of-process check stops the world through a ptrace-ing helper that the
  // allow-list kills, which left the sanitized daemon hanging at exit: check for leaks now, once.
  __lsan_do_leak_check();
#endif
  const std::unique_ptr<void, void (*)(scmp_filter_ctx)> filter(seccomp_init(SCMP_ACT_KILL_PROCESS), seccomp_release);
  if (!filter) {
    throw std::runtime_error("dropping privileges: seccomp_init failed");
  }
  if (const int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) {
    fail("seccomp TSYNC", -rc);
  }
  for (const char* const* name = kAllowed; *name != nullptr; ++name) {
    const int number = seccomp_syscall_resolve_name(*name);
    if (number == __NR_SCMP_ERROR) {
      continue;  // not on this architecture (e.g. select on some)
    }
    if (const int rc = seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, number, 0); rc != 0) {
      fail(std::string("seccomp rule for ") + *name, -rc);
    }
  }
  if (const int rc = seccomp_load(filter.get()); rc != 0) {
    fail("seccomp_load", -rc);
  }
}

}  // namespace tunlab::os
