// epoll + eventfd + signalfd loop for the real backend.
#include "tunlab/os/epoll_driver.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>

namespace tunlab::os {

namespace {

void epoll_add(int epoll_fd, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw_errno("epoll_ctl ADD fd " + std::to_string(fd));
  }
}

}  // namespace

EpollDriver::EpollDriver()
    : epoll_fd_(Fd::checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      stop_fd_(Fd::checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")) {
  epoll_add(epoll_fd_.get(), stop_fd_.get());
}

EpollDriver::~EpollDriver() {
  signal_fd_.reset();  // closed before the old mask is restored
  if (mask_changed_) {
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
}

std::int64_t EpollDriver::now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void EpollDriver::add(int fd, Callback callback) {
  if (fd < 0 || fd == stop_fd_.get() || fd == signal_fd_.get() || callbacks_.count(fd) != 0) {
    throw std::invalid_argument("EpollDriver::add: bad or duplicate fd " + std::to_string(fd));
  }
  epoll_add(epoll_fd_.get(), fd);
  callbacks_.emplace(fd, std::move(callback));
}

void EpollDriver::remove(int fd) {
  if (callbacks_.erase(fd) != 0) {
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
  }
}

void EpollDriver::handle_signals(std::initializer_list<int> signals, SignalCallback callback) {
  if (signal_fd_.valid()) {
    throw std::logic_error("EpollDriver::handle_signals called twice");
  }
  sigset_t mask;
  sigemptyset(&mask);
  for (const int s : signals) {
    sigaddset(&mask, s);
  }
  if (const int err = ::pthread_sigmask(SIG_BLOCK, &mask, &old_mask_); err != 0) {
    throw_errno("pthread_sigmask", err);
  }
  mask_changed_ = true;
  signal_fd_ = Fd::checked(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC), "signalfd");
  epoll_add(epoll_fd_.get(), signal_fd_.get());
  signal_callback_ = std::move(callback);
}

void EpollDriver::request_stop() {
  const std::uint64_t one = 1;
  // Cannot fail short of a counter overflow; the result is irrelevant for a stop request.
  [[maybe_unused]] const ssize_t n = ::write(stop_fd_.get(), &one, sizeof one);
}

EpollDriver::Outcome EpollDriver::run_until(const std::function<bool()>& predicate, std::chrono::nanoseconds timeout) {
  const std::int64_t deadline = now_ns() + timeout.count();
  std::array<epoll_event, 32> events{};
  while (true) {
    if (predicate()) {
      return Outcome::predicate_met;
    }
    const std::int64_t left_ns = deadline - now_ns();
    if (left_ns <= 0) {
      return Outcome::timed_out;
    }
    // Round up so we never spin on a sub-millisecond remainder.
    const int wait_ms = static_cast<int>(std::min<std::int64_t>((left_ns + 999'999) / 1'000'000, 60'000));
    const int n = ::epoll_wait(epoll_fd_.get(), events.data(), static_cast<int>(events.size()), wait_ms);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("epoll_wait");
    }
    const std::int64_t now = now_ns();
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == stop_fd_.get()) {
        std::uint64_t value = 0;
        [[maybe_unused]] const ssize_t r = ::read(stop_fd_.get(), &value, sizeof value);
        stop = true;
      } else if (fd == signal_fd_.get()) {
        signalfd_siginfo info{};
        while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
          if (signal_callback_) {
            signal_callback_(static_cast<int>(info.ssi_signo));
          }
        }
      } else if (const auto it = callbacks_.find(fd); it != callbacks_.end()) {
        // Copy: the callback may remove itself.
        const Callback callback = it->second;
        callback(now);
      }
    }
    if (stop) {
      return Outcome::stopped;
    }
  }
}

}  // namespace tunlab::os
