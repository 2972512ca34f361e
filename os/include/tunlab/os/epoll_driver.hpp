// The real backend's event loop: level-triggered epoll over (fd, callback) pairs plus a stop
// eventfd and optional signalfd, with time from CLOCK_MONOTONIC (real mode may read the clock;
// the simulator never does). Every run is bounded by a deadline so a test can fail, not hang.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <unordered_map>

#include "tunlab/os/fd.hpp"

namespace tunlab::os {

class EpollDriver {
public:
  // Called with the time the loop woke up.
  using Callback = std::function<void(std::int64_t now_ns)>;
  using SignalCallback = std::function<void(int signo)>;

  enum class Outcome { predicate_met, stopped, timed_out };

  EpollDriver();
  ~EpollDriver();
  EpollDriver(const EpollDriver&) = delete;
  EpollDriver& operator=(const EpollDriver&) = delete;

  // Watches `fd` for readability (and errors, which a raw socket's error queue raises). The fd
  // must stay open until remove() or the driver's destruction; one callback per fd.
  void add(int fd, Callback callback);
  void remove(int fd);

  // Blocks `signals` in the calling thread and routes them to `callback` through a signalfd.
  // Call it before starting other threads so none of them inherits an unblocked mask (or block
  // the signals process-wide yourself first). Restores the old mask on destruction.
  void handle_signals(std::initializer_list<int> signals, SignalCallback callback);

  // Makes the current or next run return Outcome::stopped. Async-signal-safe and thread-safe
  // (one write to an eventfd).
  void request_stop();

  // Dispatches ready callbacks until predicate() holds (checked before waiting and after each
  // wake-up), request_stop() is called, or `timeout` passes.
  Outcome run_until(const std::function<bool()>& predicate, std::chrono::nanoseconds timeout);
  // Without predicate: until stopped or timeout (use a long timeout for daemons).
  Outcome run_for(std::chrono::nanoseconds timeout) {
    return run_until([] { return false; }, timeout);
  }

  static std::int64_t now_ns();

private:
  Fd epoll_fd_;
  Fd stop_fd_;
  Fd signal_fd_;
  sigset_t old_mask_{};
  bool mask_changed_ = false;
  std::unordered_map<int, Callback> callbacks_;
  SignalCallback signal_callback_;
};

}  // namespace tunlab::os
