// timerfd on the virtual clock: a timer file the program arms with timerfd_settime expires at a
// virtual time; reading it gives the expirations since the last read, and a wait that watches it
// gives up its block when it expires. Nothing fires on the wall clock.
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <cerrno>

#include "supervisor.hpp"

namespace tunlab::program {

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

std::int64_t to_ns(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * kSecond + t.tv_nsec;
}

timespec to_timespec(std::int64_t ns) {
  timespec t{};
  t.tv_sec = ns / kSecond;
  t.tv_nsec = ns % kSecond;
  return t;
}

bool valid(const timespec& t) {
  return t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < kSecond && t.tv_sec < (std::int64_t{1} << 32);
}

}  // namespace

std::uint64_t Supervisor::expirations(const SimFile& file) const {
  if (file.timer_next < 0 || now_ < file.timer_next) {
    return 0;
  }
  return 1 + (file.timer_interval > 0 ? static_cast<std::uint64_t>((now_ - file.timer_next) / file.timer_interval) : 0);
}

std::optional<std::int64_t> Supervisor::next_expiry(const std::vector<int>& fds) const {
  std::optional<std::int64_t> earliest;
  for (const int fd : fds) {
    const auto it = files_.find(fd);
    if (it != files_.end() && it->second.kind == FileKind::timer && it->second.timer_next >= 0) {
      const std::int64_t in = std::max<std::int64_t>(0, it->second.timer_next - now_);
      earliest = earliest ? std::min(*earliest, in) : in;
    }
  }
  return earliest;
}

Outcome Supervisor::blocked_until(std::int64_t timeout_ns, const std::vector<int>& watched) const {
  std::optional<std::int64_t> timeout = timeout_ns < 0 ? std::nullopt : std::optional(timeout_ns);
  if (const auto timer = next_expiry(watched)) {
    timeout = timeout ? std::min(*timeout, *timer) : *timer;
  }
  return {.blocked = true, .timeout_ns = timeout};
}

Outcome Supervisor::on_timerfd_create(const seccomp_notif& call) {
  const auto clock = static_cast<clockid_t>(call.data.args[0]);
  const int flags = static_cast<int>(call.data.args[1]);
  if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME) {
    refuse(call, describe_call(call),
           "timerfd on this clock is not simulated (CLOCK_MONOTONIC, CLOCK_REALTIME and "
           "CLOCK_BOOTTIME are)");
  }
  if ((flags & ~(TFD_NONBLOCK | TFD_CLOEXEC)) != 0) {
    fail(call, EINVAL);
    return {};
  }
  SimFile file = make_file(FileKind::timer, (flags & TFD_NONBLOCK) != 0);
  file.timer_realtime = clock == CLOCK_REALTIME;
  place(call, std::move(file), (flags & TFD_CLOEXEC) != 0);
  return {};
}

Outcome Supervisor::on_timerfd_settime(const seccomp_notif& call, SimFile& file) {
  const auto& a = call.data.args;
  const int flags = static_cast<int>(a[1]);
  const auto wanted = memory_.get<itimerspec>(a[2]);
  check_valid(call);
  if (file.kind != FileKind::timer || (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) != 0) {
    fail(call, EINVAL);
    return {};
  }
  if (!wanted) {
    fail(call, EFAULT);
    return {};
  }
  if (!valid(wanted->it_value) || !valid(wanted->it_interval)) {
    fail(call, EINVAL);
    return {};
  }
  if (a[3] != 0) {
    itimerspec old{};
    old.it_value = to_timespec(file.timer_next < 0 ? 0 : std::max<std::int64_t>(1, file.timer_next - now_));
    old.it_interval = to_timespec(file.timer_interval);
    if (!memory_.put(a[3], old)) {
      fail(call, EFAULT);
      return {};
    }
  }
  const std::int64_t value = to_ns(wanted->it_value);
  file.timer_interval = to_ns(wanted->it_interval);
  if (value == 0) {
    file.timer_next = -1;  // disarmed
  } else if ((flags & TFD_TIMER_ABSTIME) != 0) {
    // An absolute time on the timer's clock, as the program reads that clock.
    const std::int64_t clock_now = file.timer_realtime ? realtime_ns() : monotonic_ns();
    file.timer_next = now_ + std::max<std::int64_t>(0, value - clock_now);
  } else {
    file.timer_next = now_ + value;
  }
  reply(call, 0);
  return {};
}

Outcome Supervisor::on_timerfd_gettime(const seccomp_notif& call, SimFile& file) {
  if (file.kind != FileKind::timer) {
    fail(call, EINVAL);
    return {};
  }
  itimerspec current{};
  current.it_value = to_timespec(file.timer_next < 0 ? 0 : std::max<std::int64_t>(1, file.timer_next - now_));
  current.it_interval = to_timespec(file.timer_interval);
  if (!memory_.put(call.data.args[1], current)) {
    fail(call, EFAULT);
    return {};
  }
  reply(call, 0);
  return {};
}

Outcome Supervisor::on_timer_read(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers) {
  std::size_t capacity = 0;
  for (const iovec& b : buffers) {
    capacity += b.iov_len;
  }
  if (capacity < sizeof(std::uint64_t)) {
    fail(call, EINVAL);
    return {};
  }
  const std::uint64_t count = expirations(file);
  if (count == 0) {
    if (file.nonblocking) {
      fail(call, EAGAIN);
      return {};
    }
    return blocked_until(-1, {static_cast<int>(call.data.args[0])});
  }
  if (!scatter(buffers, reinterpret_cast<const std::uint8_t*>(&count), sizeof(count))) {
    fail(call, EFAULT);
    return {};
  }
  if (file.timer_interval > 0) {
    file.timer_next += static_cast<std::int64_t>(count) * file.timer_interval;
  } else {
    file.timer_next = -1;
  }
  reply(call, sizeof(count));
  return {};
}

}  // namespace tunlab::program
