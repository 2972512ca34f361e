// Preloaded into a tunnel program the simulator runs. Two jobs:
// - The clock: glibc answers clock_gettime, gettimeofday and time from the vDSO without entering
//   the kernel, so the seccomp filter never sees them and the program would read the host's
//   clock. These definitions come first in symbol lookup and read the virtual clock the
//   supervisor publishes in the staging area (or make the system call, which it traps).
// - Staged reads: read, recv and recvfrom on a simulated TUN device or raw socket take the
//   packets the supervisor staged, and answer EAGAIN when it said nothing waits behind them,
//   without a trapped call (staging_area.hpp says why).//   Everything else makes the system call.
// Static binaries and programs that make system calls themselves (Go) do not load it; they trap
// every call and run the same, slower (docs/programs-in-the-simulator.md).
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../src/staging_area.hpp"

namespace staging = tunlab::program::staging;

namespace {

staging::Area* area = nullptr;

__attribute__((constructor)) void map_area() {
  if (getenv(staging::kEnvironment) == nullptr) {
    return;
  }
  void* memory = mmap(nullptr, sizeof(staging::Area), PROT_READ | PROT_WRITE, MAP_SHARED, staging::kAreaFd, 0);
  if (memory != MAP_FAILED && static_cast<staging::Area*>(memory)->magic == staging::kMagic) {
    area = static_cast<staging::Area*>(memory);
  }
}

bool virtual_clock(clockid_t clock, std::int64_t& ns) {
  if (area == nullptr || area->clock_published == 0) {
    return false;
  }
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
      ns = area->realtime_ns;
      return true;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      ns = area->monotonic_ns;
      return true;
    default:
      return false;  // the supervisor answers (or refuses) the others
  }
}

constexpr ssize_t kNotStaged = -2;

// A staged packet for `fd`, EAGAIN when nothing waits, or kNotStaged: make the system call.
ssize_t take_staged(int fd, void* buffer, size_t size, sockaddr* from, socklen_t* from_length) {
  if (area == nullptr || fd < staging::kFirstFd || fd >= staging::kFirstFd + staging::kFdCount) {
    return kNotStaged;
  }
  const std::uint8_t source = area->source[fd - staging::kFirstFd];
  if (source != staging::kTunDevice && source != staging::kRawSocket) {
    return kNotStaged;
  }
  staging::Queue& queue = area->queues[source - 1];
  if (queue.head == queue.tail) {
    if (queue.known_empty != 0 && area->nonblocking[fd - staging::kFirstFd] != 0) {
      errno = EAGAIN;
      return -1;
    }
    return kNotStaged;  // block, or look again: the supervisor knows
  }
  staging::Entry& entry = queue.entries[queue.head % staging::kEntries];
  const size_t taken = size < entry.length ? size : entry.length;
  memcpy(buffer, queue.data + entry.offset, taken);
  entry.taken = static_cast<std::uint32_t>(taken);
  ++queue.head;
  if (from != nullptr && from_length != nullptr) {
    sockaddr_in source_address{};
    source_address.sin_family = AF_INET;
    if (entry.length >= 20) {
      memcpy(&source_address.sin_addr.s_addr, queue.data + entry.offset + 12, 4);
    }
    const socklen_t room = *from_length;
    memcpy(from, &source_address, room < sizeof(source_address) ? room : sizeof(source_address));
    *from_length = sizeof(source_address);
  }
  return static_cast<ssize_t>(taken);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int clock_gettime(clockid_t clock, struct timespec* ts) noexcept {
  std::int64_t ns = 0;
  if (virtual_clock(clock, ns)) {
    ts->tv_sec = ns / 1'000'000'000;
    ts->tv_nsec = ns % 1'000'000'000;
    return 0;
  }
  return static_cast<int>(syscall(SYS_clock_gettime, clock, ts));
}

__attribute__((visibility("default"))) int gettimeofday(struct timeval* tv, void* tz) noexcept {
  std::int64_t ns = 0;
  if (tz == nullptr && virtual_clock(CLOCK_REALTIME, ns)) {
    tv->tv_sec = ns / 1'000'000'000;
    tv->tv_usec = (ns % 1'000'000'000) / 1000;
    return 0;
  }
  return static_cast<int>(syscall(SYS_gettimeofday, tv, tz));
}

__attribute__((visibility("default"))) time_t time(time_t* out) noexcept {
  std::int64_t ns = 0;
  if (virtual_clock(CLOCK_REALTIME, ns)) {
    const time_t seconds = ns / 1'000'000'000;
    if (out != nullptr) {
      *out = seconds;
    }
    return seconds;
  }
  return static_cast<time_t>(syscall(SYS_time, out));
}

__attribute__((visibility("default"))) ssize_t read(int fd, void* buffer, size_t size) {
  const ssize_t staged = take_staged(fd, buffer, size, nullptr, nullptr);
  return staged != kNotStaged ? staged : syscall(SYS_read, fd, buffer, size);
}

__attribute__((visibility("default"))) ssize_t __read_chk(int fd, void* buffer, size_t size, size_t) {
  return read(fd, buffer, size);
}

__attribute__((visibility("default"))) ssize_t recvfrom(int fd, void* buffer, size_t size, int flags, sockaddr* from,
                                                        socklen_t* from_length) {
  if (flags == 0) {
    const ssize_t staged = take_staged(fd, buffer, size, from, from_length);
    if (staged != kNotStaged) {
      return staged;
    }
  }
  return syscall(SYS_recvfrom, fd, buffer, size, flags, from, from_length);
}

__attribute__((visibility("default"))) ssize_t recv(int fd, void* buffer, size_t size, int flags) {
  return recvfrom(fd, buffer, size, flags, nullptr, nullptr);
}

__attribute__((visibility("default"))) ssize_t __recv_chk(int fd, void* buffer, size_t size, size_t, int flags) {
  return recvfrom(fd, buffer, size, flags, nullptr, nullptr);
}

__attribute__((visibility("default"))) ssize_t __recvfrom_chk(int fd, void* buffer, size_t size, size_t, int flags,
                                                              sockaddr* from, socklen_t* from_length) {
  return recvfrom(fd, buffer, size, flags, from, from_length);
}

// recvmmsg and sendmmsg on a simulated descriptor: one recvmsg or sendmsg per message, as the
// kernel's own loop does, so each goes through the supervisor (or the staging area) like any
// other; the batch saves the program nothing here but works. The recvmmsg timeout is not applied
// (the kernel itself only checks it between datagrams).
__attribute__((visibility("default"))) int recvmmsg(int fd, mmsghdr* messages, unsigned int count, int flags,
                                                    timespec* timeout) {
  if (area == nullptr || fd < staging::kFirstFd || fd >= staging::kFirstFd + staging::kFdCount) {
    return static_cast<int>(syscall(SYS_recvmmsg, fd, messages, count, flags, timeout));
  }
  unsigned int done = 0;
  while (done < count) {
    // As the kernel: with MSG_WAITFORONE only the first message may wait; without it a blocking
    // socket waits for every one.
    const int each = (flags & ~MSG_WAITFORONE) | (done > 0 && (flags & MSG_WAITFORONE) != 0 ? MSG_DONTWAIT : 0);
    const ssize_t got = syscall(SYS_recvmsg, fd, &messages[done].msg_hdr, each);
    if (got < 0) {
      if (done > 0) {
        break;  // what was received counts; the error waits for the next call, as in the kernel
      }
      return -1;
    }
    messages[done].msg_len = static_cast<unsigned int>(got);
    ++done;
  }
  return static_cast<int>(done);
}

__attribute__((visibility("default"))) int sendmmsg(int fd, mmsghdr* messages, unsigned int count, int flags) {
  if (area == nullptr || fd < staging::kFirstFd || fd >= staging::kFirstFd + staging::kFdCount) {
    return static_cast<int>(syscall(SYS_sendmmsg, fd, messages, count, flags));
  }
  unsigned int done = 0;
  for (; done < count; ++done) {
    const ssize_t sent = syscall(SYS_sendmsg, fd, &messages[done].msg_hdr, flags);
    if (sent < 0) {
      return done > 0 ? static_cast<int>(done) : -1;
    }
    messages[done].msg_len = static_cast<unsigned int>(sent);
  }
  return static_cast<int>(done);
}

}  // extern "C"
