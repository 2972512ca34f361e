// The supervisor's loop: receive a trapped call, answer it or leave it pending (the program
// blocks), and the ways a run with a program ends.
#include "supervisor.hpp"

#include "filter.hpp"

#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace tunlab::program {

namespace {

// From <linux/seccomp.h> of Linux 6.6, newer than the headers this may build against.
constexpr unsigned long kNotifSetFlags = SECCOMP_IOW(4, std::uint64_t);
constexpr std::uint64_t kSyncWakeUp = 1;

std::string status_text(int status) {
  if (WIFEXITED(status)) {
    return fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status), sigabbrev_np(WTERMSIG(status)));
  }
  return fmt::format("ended with wait status {}", status);
}

}  // namespace

Supervisor::Supervisor(const ProgramSpec& spec, const AppEnvironment& environment)
    : spec_(spec),
      env_(environment),
      process_(launch(spec)),
      memory_(process_.pid),
      random_(spec.seed, spec.host),
      area_(map_staging_area(process_.staging)) {
  // Linux 6.6+: the program and the supervisor hand the CPU to each other directly at every
  // trapped call instead of going through the scheduler's wake-up path, which is most of the cost
  // of a round trip. Older kernels refuse the flag; the supervisor works the same, slower.
  (void)ioctl(process_.listener, kNotifSetFlags, kSyncWakeUp);
}

Supervisor::~Supervisor() {
  // The run is over (or failed): the program goes with it, and nothing of it survives.
  kill(-process_.pid, SIGKILL);
  kill(process_.pid, SIGKILL);
  if (!exited_) {
    int status = 0;
    waitpid(process_.pid, &status, 0);
  }
  if (!refused_ && !exited_) {
    // As the real backend passes a program's output to stderr: here at the end, in one piece.
    const std::string output = read_output(process_.output);
    if (!output.empty()) {
      std::fprintf(stderr, "[%s] %s%s", spec_.host.c_str(), output.c_str(), output.back() == '\n' ? "" : "\n");
    }
  }
  close(process_.listener);
  close(process_.pidfd);
  close(process_.output);
  close(process_.staging);
  if (area_ != nullptr) {
    munmap(area_, sizeof(staging::Area));
  }
}

void Supervisor::run(std::int64_t now_ns) {
  now_ = now_ns;
  drain_underlay();
  if (waiting_) {
    reconcile();
    const bool expired = waiting_->deadline <= now_;
    const Outcome outcome = dispatch(waiting_->call, expired);
    if (outcome.blocked) {
      return;  // still waiting: the deadline stays the one the wait started with
    }
    waiting_.reset();
  }
  for (;;) {
    const seccomp_notif call = next_call();
    ++trapped_;
    reconcile();
    const Outcome outcome = dispatch(call, false);
    if (outcome.blocked) {
      Waiting waiting{call, AppB::kNoDeadline};
      if (outcome.timeout_ns) {
        waiting.deadline = now_ + std::max<std::int64_t>(0, *outcome.timeout_ns);
      }
      waiting_ = waiting;
      return;
    }
  }
}

seccomp_notif Supervisor::next_call() {
  pollfd fds[2] = {{process_.listener, POLLIN, 0}, {process_.pidfd, POLLIN, 0}};
  const int timeout = static_cast<int>(spec_.watchdog.count());
  for (;;) {
    const int n = poll(fds, 2, timeout);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n == 0) {
      // The one use of the wall clock: a program that computes without ever blocking.
      kill(-process_.pid, SIGKILL);
      ended(
          fmt::format("did not block in a system call within {} ms of wall-clock time (a busy loop?) and was "
                      "killed",
                      spec_.watchdog.count()));
    }
    if ((fds[0].revents & POLLIN) != 0) {
      seccomp_notif call{};
      if (ioctl(process_.listener, SECCOMP_IOCTL_NOTIF_RECV, &call) == 0) {
        return call;
      }
      if (errno == EINTR || errno == ENOENT) {
        continue;  // ENOENT: the caller died before we took the call
      }
    }
    if ((fds[1].revents & POLLIN) != 0 || (fds[0].revents & (POLLHUP | POLLERR)) != 0) {
      int status = 0;
      waitpid(process_.pid, &status, 0);
      exited_ = true;
      ended(status_text(status));
    }
  }
}

void Supervisor::ended(const std::string& how) {
  const std::string output = read_output(process_.output);
  throw ProgramEnded(fmt::format("tunnel program on {} (`{}`) {} at {:.6f} s of virtual time", spec_.host,
                                 spec_.command_line, how, static_cast<double>(now_) / 1e9),
                     output);
}

void Supervisor::refuse(const seccomp_notif& call, const std::string& what, const std::string& why) {
  (void)call;
  refused_ = true;
  throw ProgramRefused(fmt::format("tunnel program on {} (`{}`) cannot run in the simulator: {}: {}", spec_.host,
                                   spec_.command_line, what, why));
}

std::string Supervisor::describe_call(const seccomp_notif& call) const {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, call.data.nr);
  std::string text = name != nullptr ? name : fmt::format("syscall {}", call.data.nr);
  std::free(name);
  return fmt::format("{}({}, {:#x}, {:#x})", text, static_cast<std::int64_t>(call.data.args[0]), call.data.args[1],
                     call.data.args[2]);
}

void Supervisor::reply(const seccomp_notif& call, std::int64_t value) {
  stage();
  seccomp_notif_resp response{};
  response.id = call.id;
  response.val = value;
  // ENOENT: the program died meanwhile; the next receive reports its end.
  (void)ioctl(process_.listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void Supervisor::fail(const seccomp_notif& call, int error) {
  stage();
  seccomp_notif_resp response{};
  response.id = call.id;
  response.error = -error;
  (void)ioctl(process_.listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void Supervisor::continue_natively(const seccomp_notif& call) {
  stage();
  seccomp_notif_resp response{};
  response.id = call.id;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  (void)ioctl(process_.listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void Supervisor::check_valid(const seccomp_notif& call) {
  std::uint64_t id = call.id;
  if (ioctl(process_.listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) {
    int status = 0;
    waitpid(process_.pid, &status, 0);
    exited_ = true;
    ended(status_text(status));
  }
}

void Supervisor::place(const seccomp_notif& call, SimFile file, bool cloexec) {
  int number = kFirstSimFd;
  while (files_.count(number) != 0) {
    ++number;
  }
  if (number > kLastSimFd) {
    fail(call, EMFILE);
    return;
  }
  // A real kernel object of its own at that number, so close, dup and fstat behave.
  const int object = eventfd(0, EFD_CLOEXEC);
  if (object < 0) {
    fail(call, ENFILE);
    return;
  }
  seccomp_notif_addfd add{};
  add.id = call.id;
  add.flags = SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = static_cast<std::uint32_t>(object);
  add.newfd = static_cast<std::uint32_t>(number);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  files_[number] = std::move(file);
  stage();  // the placement answers the call: the program runs from here
  const int placed = ioctl(process_.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  close(object);
  if (placed != number) {
    files_.erase(number);
  }
}

AppCounters Supervisor::counters() const {
  return {{"device-reads", device_reads_},
          {"device-writes", device_writes_},
          {"underlay-sends", underlay_sends_},
          {"underlay-receives", underlay_receives_},
          {"held-packets", from_device_.size() + from_underlay_.size()},
          {"trapped-calls", trapped_},
          {"staged-reads", staged_reads_}};
}

}  // namespace tunlab::program
