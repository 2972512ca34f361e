// Drives one app B from an EpollDriver: the device's and the underlay's readiness, and the app's
// timer through a timerfd on CLOCK_MONOTONIC, the clock EpollDriver passes in. The real runner
// and `tunlab tunnel` both use it, so an app B sees the same calls in each.
#pragma once

#include <cstdint>

#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/os/fd.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::os {

class AppDriver {
public:
  // `app`, `device` and `underlay` must outlive this object; their fds stay open meanwhile.
  AppDriver(EpollDriver& driver, AppB& app, const Device& device, const Underlay& underlay);
  ~AppDriver();
  AppDriver(const AppDriver&) = delete;
  AppDriver& operator=(const AppDriver&) = delete;

private:
  // Re-arms the timerfd when the app's deadline moved.
  void after_call();

  EpollDriver& driver_;
  AppB& app_;
  int device_fd_;
  int underlay_fd_;
  Fd timer_;
  std::int64_t armed_ = AppB::kNoDeadline;
};

}  // namespace tunlab::os
