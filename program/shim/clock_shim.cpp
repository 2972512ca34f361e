// Preloaded into a tunnel program the simulator runs: glibc answers clock_gettime, gettimeofday
// and time from the vDSO without entering the kernel, so the seccomp filter never sees them and
// the program would read the host's clock. These definitions come first in symbol lookup and make
// the real system calls, which the supervisor answers from the virtual clock. Static binaries do
// not load it (docs/programs-in-the-simulator.md).
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

extern "C" {

__attribute__((visibility("default"))) int clock_gettime(clockid_t clock, struct timespec* ts) noexcept {
  return static_cast<int>(syscall(SYS_clock_gettime, clock, ts));
}

__attribute__((visibility("default"))) int gettimeofday(struct timeval* tv, void* tz) noexcept {
  return static_cast<int>(syscall(SYS_gettimeofday, tv, tz));
}

__attribute__((visibility("default"))) time_t time(time_t* out) noexcept {
  return static_cast<time_t>(syscall(SYS_time, out));
}

}  // extern "C"
