// Waiting, time and randomness: poll, select and epoll over simulated files, sleeps, clock reads
// and getrandom, all on the virtual clock. A wait with nothing ready and a timeout blocks the
// program; the simulator's next call into the app (a packet, or the deadline) resumes it.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "supervisor.hpp"

namespace tunlab::program {

namespace {

// The virtual clock as the program sees it: CLOCK_MONOTONIC starts at 1000 s (a just-booted
// machine reads nonzero), CLOCK_REALTIME at 2026-01-01T00:00:00Z. Fixed, so runs repeat.
constexpr std::int64_t kMonotonicStart = 1000LL * 1'000'000'000;
constexpr std::int64_t kRealtimeStart = 1767225600LL * 1'000'000'000;
constexpr std::size_t kMaxWaitFds = 4096;

bool realtime_clock(clockid_t clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI ||
         clock == CLOCK_REALTIME_ALARM;
}

}  // namespace

std::int64_t Supervisor::realtime_ns() const {
  return kRealtimeStart + now_;
}

std::int64_t Supervisor::monotonic_ns() const {
  return kMonotonicStart + now_;
}

Outcome Supervisor::on_clock(const seccomp_notif& call) {
  const auto& a = call.data.args;
  if (call.data.nr == SYS_time) {
    const std::int64_t seconds = realtime_ns() / 1'000'000'000;
    if (a[0] != 0 && !memory_.put(a[0], seconds)) {
      fail(call, EFAULT);
      return {};
    }
    reply(call, seconds);
    return {};
  }
  if (call.data.nr == SYS_gettimeofday) {
    const std::int64_t t = realtime_ns();
    const std::int64_t value[2] = {t / 1'000'000'000, (t % 1'000'000'000) / 1000};
    const std::int32_t zone[2] = {0, 0};
    if ((a[0] != 0 && !memory_.put(a[0], value)) || (a[1] != 0 && !memory_.put(a[1], zone))) {
      fail(call, EFAULT);
      return {};
    }
    reply(call, 0);
    return {};
  }
  const auto clock = static_cast<clockid_t>(a[0]);
  // Process and thread CPU clocks read the virtual clock too: the program's computing costs no
  // virtual time (docs).
  const std::int64_t t = realtime_clock(clock) ? realtime_ns() : monotonic_ns();
  const std::int64_t value[2] = {t / 1'000'000'000, t % 1'000'000'000};
  if (!memory_.put(a[1], value)) {
    fail(call, EFAULT);
    return {};
  }
  reply(call, 0);
  return {};
}

Outcome Supervisor::on_sleep(const seccomp_notif& call, bool expired) {
  if (expired) {
    reply(call, 0);
    return {};
  }
  const auto& a = call.data.args;
  const bool nanosleep = call.data.nr == SYS_nanosleep;
  const auto request = memory_.get<std::array<std::int64_t, 2>>(nanosleep ? a[0] : a[2]);
  check_valid(call);
  if (!request) {
    fail(call, EFAULT);
    return {};
  }
  std::int64_t timeout = (*request)[0] * 1'000'000'000 + (*request)[1];
  if (!nanosleep && (a[1] & TIMER_ABSTIME) != 0) {
    timeout -= realtime_clock(static_cast<clockid_t>(a[0])) ? realtime_ns() : monotonic_ns();
  }
  if (timeout <= 0) {
    reply(call, 0);
    return {};
  }
  return {.blocked = true, .timeout_ns = timeout};
}

Outcome Supervisor::on_random(const seccomp_notif& call, std::uint64_t address, std::size_t size) {
  std::vector<std::uint8_t> bytes(std::min<std::size_t>(size, 1 << 20));
  random_.fill(bytes.data(), bytes.size());
  if (!memory_.write(address, bytes.data(), bytes.size())) {
    fail(call, EFAULT);
    return {};
  }
  reply(call, static_cast<std::int64_t>(bytes.size()));
  return {};
}

Outcome Supervisor::on_poll(const seccomp_notif& call, std::int64_t timeout_ns, bool expired) {
  const std::size_t count = static_cast<std::size_t>(call.data.args[1]);
  if (count > kMaxWaitFds) {
    fail(call, EINVAL);
    return {};
  }
  std::vector<pollfd> fds(count);
  const bool ok = memory_.read(call.data.args[0], fds.data(), count * sizeof(pollfd));
  check_valid(call);
  if (!ok) {
    fail(call, EFAULT);
    return {};
  }
  int ready = 0;
  for (pollfd& p : fds) {
    // POLLERR and POLLHUP are reported whether asked for or not, as the kernel does.
    p.revents =
        p.fd < 0 ? 0 : static_cast<short>(readiness(p.fd) & (static_cast<std::uint32_t>(p.events) | POLLERR | POLLHUP));
    ready += p.revents != 0 ? 1 : 0;
  }
  if (ready == 0 && timeout_ns != 0 && !expired) {
    std::vector<int> watched;
    for (const pollfd& p : fds) {
      watched.push_back(p.fd);
    }
    return blocked_until(timeout_ns, watched);
  }
  if (!memory_.write(call.data.args[0], fds.data(), count * sizeof(pollfd))) {
    fail(call, EFAULT);
    return {};
  }
  reply(call, ready);
  return {};
}

Outcome Supervisor::on_select(const seccomp_notif& call, std::int64_t timeout_ns, bool expired) {
  const auto& a = call.data.args;
  const int nfds = static_cast<int>(a[0]);
  if (nfds < 0 || nfds > FD_SETSIZE) {
    fail(call, EINVAL);
    return {};
  }
  const std::size_t words = (static_cast<std::size_t>(nfds) + 63) / 64;
  std::vector<std::uint64_t> sets[3];
  for (int s = 0; s < 3; ++s) {
    sets[s].assign(words, 0);
    if (a[1 + s] != 0 && !memory_.read(a[1 + s], sets[s].data(), words * 8)) {
      check_valid(call);
      fail(call, EFAULT);
      return {};
    }
  }
  check_valid(call);
  int ready = 0;
  std::vector<std::uint64_t> out[3] = {std::vector<std::uint64_t>(words), std::vector<std::uint64_t>(words),
                                       std::vector<std::uint64_t>(words)};
  for (int fd = 0; fd < nfds; ++fd) {
    const std::uint64_t bit = 1ULL << (fd % 64);
    const std::size_t word = static_cast<std::size_t>(fd) / 64;
    if (((sets[0][word] | sets[1][word]) & bit) == 0) {
      continue;
    }
    const std::uint32_t state = readiness(fd);
    if ((sets[0][word] & bit) != 0 && (state & (EPOLLIN | EPOLLERR)) != 0) {  // the kernel's POLLIN_SET
      out[0][word] |= bit;
      ++ready;
    }
    if ((sets[1][word] & bit) != 0 && (state & EPOLLOUT) != 0) {
      out[1][word] |= bit;
      ++ready;
    }
  }
  if (ready == 0 && timeout_ns != 0 && !expired) {
    std::vector<int> watched;
    for (int fd = 0; fd < nfds; ++fd) {
      if (((sets[0][static_cast<std::size_t>(fd) / 64] >> (fd % 64)) & 1U) != 0) {
        watched.push_back(fd);
      }
    }
    return blocked_until(timeout_ns, watched);
  }
  for (int s = 0; s < 3; ++s) {
    if (a[1 + s] != 0 && !memory_.write(a[1 + s], out[s].data(), words * 8)) {
      fail(call, EFAULT);
      return {};
    }
  }
  reply(call, ready);
  return {};
}

Outcome Supervisor::on_epoll_ctl(const seccomp_notif& call, SimFile& file) {
  const auto& a = call.data.args;
  if (file.kind != FileKind::epoll) {
    fail(call, EINVAL);
    return {};
  }
  const int op = static_cast<int>(a[1]);
  const int fd = static_cast<int>(a[2]);
  const bool known = file.interest.count(fd) != 0;
  if (op == EPOLL_CTL_DEL) {
    file.interest.erase(fd);
    known ? reply(call, 0) : fail(call, ENOENT);
    return {};
  }
  const auto event = memory_.get<epoll_event>(a[3]);
  check_valid(call);
  if (!event) {
    fail(call, EFAULT);
    return {};
  }
  if ((op == EPOLL_CTL_ADD && known) || (op == EPOLL_CTL_MOD && !known) ||
      (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD)) {
    fail(call, op == EPOLL_CTL_ADD ? EEXIST : op == EPOLL_CTL_MOD ? ENOENT : EINVAL);
    return {};
  }
  file.interest[fd] = {event->events, event->data.u64};
  reply(call, 0);
  return {};
}

Outcome Supervisor::on_epoll_wait(const seccomp_notif& call, SimFile& file, std::int64_t timeout_ns, bool expired) {
  const auto& a = call.data.args;
  const int most = static_cast<int>(a[2]);
  if (file.kind != FileKind::epoll || most <= 0) {
    fail(call, EINVAL);
    return {};
  }
  // Level-triggered, in descriptor order (the kernel's order is its ready list's; docs).
  std::vector<epoll_event> events;
  for (const auto& [fd, interest] : file.interest) {
    const std::uint32_t state = readiness(fd) & (interest.events | EPOLLERR | EPOLLHUP);
    if (state != 0 && events.size() < static_cast<std::size_t>(most)) {
      epoll_event e{};
      e.events = state;
      e.data.u64 = interest.data;
      events.push_back(e);
    }
  }
  if (events.empty() && timeout_ns != 0 && !expired) {
    std::vector<int> watched;
    for (const auto& [fd, interest] : file.interest) {
      watched.push_back(fd);
    }
    return blocked_until(timeout_ns, watched);
  }
  if (!memory_.write(a[1], events.data(), events.size() * sizeof(epoll_event))) {
    fail(call, EFAULT);
    return {};
  }
  reply(call, static_cast<std::int64_t>(events.size()));
  return {};
}

}  // namespace tunlab::program
