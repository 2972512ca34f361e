#include "tunlab/os/app_driver.hpp"

#include <sys/timerfd.h>

#include <cstdint>

namespace tunlab::os {

AppDriver::AppDriver(EpollDriver& driver, AppB& app, const Device& device, const Underlay& underlay)
    : driver_(driver),
      app_(app),
      device_fd_(device.poll_fd()),
      underlay_fd_(underlay.poll_fd()),
      timer_(Fd::checked(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create")) {
  driver_.add(device_fd_, [this](std::int64_t now) {
    app_.on_device_readable(now);
    after_call();
  });
  driver_.add(underlay_fd_, [this](std::int64_t now) {
    app_.on_underlay_readable(now);
    after_call();
  });
  driver_.add(timer_.get(), [this](std::int64_t now) {
    std::uint64_t expirations = 0;
    if (::read(timer_.get(), &expirations, sizeof expirations) < 0) {
      return;  // EAGAIN: a re-arm beat us to it
    }
    armed_ = AppB::kNoDeadline;
    app_.on_timer(now);
    after_call();
  });
  after_call();
}

AppDriver::~AppDriver() {
  driver_.remove(timer_.get());
  driver_.remove(underlay_fd_);
  driver_.remove(device_fd_);
}

void AppDriver::after_call() {
  const std::int64_t deadline = app_.next_deadline_ns();
  if (deadline == armed_) {
    return;
  }
  armed_ = deadline;
  itimerspec spec{};
  if (deadline != AppB::kNoDeadline) {
    // An absolute time of 0 would disarm the timer; a deadline already past fires at once.
    const std::int64_t at = deadline < 1 ? 1 : deadline;
    spec.it_value.tv_sec = at / 1'000'000'000;
    spec.it_value.tv_nsec = at % 1'000'000'000;
  }
  if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    throw_errno("timerfd_settime");
  }
}

}  // namespace tunlab::os
