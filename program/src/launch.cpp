#include "launch.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "filter.hpp"
#include "staging_area.hpp"

extern char** environ;

namespace tunlab::program {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("starting the tunnel program: " + what + ": " + std::strerror(errno));
}

// In the child, after fork: async-signal-safe calls only. A failure writes a short reason to the
// output file and exits 127, which the supervisor reports with the output.
[[noreturn]] void child_fail(const char* what) {
  const int saved = errno;
  (void)!write(2, "tunlab: ", 8);
  (void)!write(2, what, strlen(what));
  (void)!write(2, ": ", 2);
  const char* reason = strerrordesc_np(saved);
  (void)!write(2, reason, strlen(reason));
  (void)!write(2, "\n", 1);
  _exit(127);
}

void send_fd(int socket, int fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (sendmsg(socket, &msg, MSG_NOSIGNAL) != 1) {
    child_fail("passing the seccomp listener");
  }
}

int receive_fd(int socket) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(socket, &msg, MSG_CMSG_CLOEXEC) != 1) {
    return -1;
  }
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS) {
    return -1;
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

}  // namespace

Launched launch(const ProgramSpec& spec) {
  // Everything the child needs is made before fork.
  const std::vector<sock_filter> filter = build_filter();
  const sock_fprog program{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
  const std::string shell_command = "exec " + spec.command_line;
  const char* argv[] = {"sh", "-c", shell_command.c_str(), nullptr};
  std::vector<std::string> env_text;
  std::string preload = spec.shim.string();
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LD_PRELOAD=", 11) == 0) {
      if (!preload.empty()) {
        preload += std::string(" ") + (*e + 11);
      }
      continue;
    }
    env_text.emplace_back(*e);
  }
  if (!preload.empty()) {
    env_text.push_back("LD_PRELOAD=" + preload);
  }
  env_text.push_back(std::string(staging::kEnvironment) + "=1");
  std::vector<const char*> envp;
  for (const auto& e : env_text) {
    envp.push_back(e.c_str());
  }
  envp.push_back(nullptr);
  const bool drop = geteuid() == 0 && spec.run_as_uid >= 0;

  Launched out;
  out.output = memfd_create("tunlab-program-output", MFD_CLOEXEC);
  if (out.output < 0) {
    fail("memfd_create");
  }
  out.staging = memfd_create("tunlab-program-staging", MFD_CLOEXEC);
  if (out.staging < 0 || ftruncate(out.staging, sizeof(staging::Area)) != 0) {
    fail("memfd_create");
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    fail("open /dev/null");
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    fail("socketpair");
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    fail("fork");
  }
  if (pid == 0) {
    setpgid(0, 0);
    if (dup2(null_fd, 0) < 0 || dup2(out.output, 1) < 0 || dup2(out.output, 2) < 0 || dup2(pair[1], 3) < 0 ||
        dup2(out.staging, staging::kAreaFd) < 0) {
      child_fail("dup2");
    }
    syscall(SYS_close_range, 4U, static_cast<unsigned>(staging::kAreaFd - 1), 0U);
    syscall(SYS_close_range, static_cast<unsigned>(staging::kAreaFd + 1), ~0U, 0U);
    personality(ADDR_NO_RANDOMIZE);
    if (drop) {
      if (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(spec.run_as_gid)) != 0 ||
          setuid(static_cast<uid_t>(spec.run_as_uid)) != 0) {
        child_fail("dropping to the unprivileged user");
      }
    }
    // After the credential change, which clears it; then check the parent did not already go.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
      _exit(127);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      child_fail("PR_SET_NO_NEW_PRIVS");
    }
    const long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
    if (listener < 0) {
      child_fail("installing the seccomp filter");
    }
    send_fd(3, static_cast<int>(listener));
    close(static_cast<int>(listener));
    close(3);
    execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp.data()));
    child_fail("execve /bin/sh");
  }
  close(null_fd);
  close(pair[1]);
  out.pid = pid;
  out.listener = receive_fd(pair[0]);
  close(pair[0]);
  out.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (out.listener < 0 || out.pidfd < 0) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const std::string output = read_output(out.output);
    close(out.output);
    close(out.staging);
    if (out.pidfd >= 0) {
      close(out.pidfd);
    }
    throw std::runtime_error("starting the tunnel program `" + spec.command_line +
                             "` failed: " + (output.empty() ? std::string("no seccomp listener") : output));
  }
  return out;
}

std::string read_output(int output, std::size_t limit) {
  const off_t size = lseek(output, 0, SEEK_END);
  if (size <= 0) {
    return {};
  }
  const std::size_t want = std::min(static_cast<std::size_t>(size), limit);
  std::string text(want, '\0');
  const ssize_t got = pread(output, text.data(), want, size - static_cast<off_t>(want));
  text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return text;
}

}  // namespace tunlab::program
