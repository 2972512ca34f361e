// The seccomp filter a tunnel program runs under: which system calls the supervisor answers
// (user notification) and which run natively. Built in the parent with libseccomp and exported
// as BPF, so the child only installs it (async-signal-safe after fork).
#pragma once

#include <linux/filter.h>

#include <vector>

namespace tunlab::program {

// Simulated files sit at these numbers in the program, so the filter can trap calls on them by
// their first argument alone and let calls on every other descriptor run natively.
inline constexpr int kFirstSimFd = 900;
inline constexpr int kLastSimFd = 999;

std::vector<sock_filter> build_filter();

}  // namespace tunlab::program
