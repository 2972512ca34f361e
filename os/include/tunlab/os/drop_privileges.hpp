// Giving up privileges once a daemon's setup is done (`tunlab tunnel`): the device, the raw socket
// and the addresses need root; moving packets through the descriptors they left does not. After
// drop_privileges() the process runs as an unprivileged user, holds no capability (effective,
// permitted, inheritable, ambient or bounding), cannot gain any (no_new_privs) and may make only
// the system calls of an allow-list (seccomp; anything else kills the process).
#pragma once

#include <string>

namespace tunlab::os {

struct PrivilegeDropOptions {
  std::string user = "nobody";  // switched to: its uid and primary gid, no supplementary groups
  bool seccomp = true;          // install the allow-list (seccomp_allowed_syscalls())
};

// Throws std::runtime_error naming the step that failed (unknown user, setresuid, seccomp ...).
// Call it after every privileged setup step, before starting other threads (the filter is synced
// to every thread anyway).
void drop_privileges(const PrivilegeDropOptions& options);

// The names of the system calls the daemon may make after drop_privileges(), in one place so that
// a new I/O path (sendmmsg/recvmmsg batching, io_uring) is one line here.
const char* const* seccomp_allowed_syscalls();

}  // namespace tunlab::os
