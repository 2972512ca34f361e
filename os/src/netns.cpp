// Anonymous, fd-held network namespaces and the thread-based run_in (see netns.hpp for why
// nothing is bind-mounted).
#include "tunlab/os/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <stdexcept>

#include "tunlab/os/netlink.hpp"

namespace tunlab::os {

namespace {

ino_t inode_of_fd(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw_errno("fstat " + what);
  }
  return st.st_ino;
}

}  // namespace

ino_t current_netns_inode() {
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) {
    throw_errno("stat /proc/thread-self/ns/net");
  }
  return st.st_ino;
}

Netns::Netns(std::string label) : label_(std::move(label)) {
  // unshare(CLONE_NEWNET) only moves the calling thread, so a throwaway thread creates the
  // namespace and hands back an fd; the thread's exit drops its own reference.
  std::exception_ptr failure;
  Fd fd;
  std::thread creator([&] {
    try {
      if (::unshare(CLONE_NEWNET) != 0) {
        throw_errno("unshare(CLONE_NEWNET) for namespace '" + label_ + "' (needs CAP_SYS_ADMIN)");
      }
      fd = Fd::checked(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC),
                       "open /proc/thread-self/ns/net in namespace '" + label_ + "'");
    } catch (...) {
      failure = std::current_exception();
    }
  });
  creator.join();
  if (failure) {
    std::rethrow_exception(failure);
  }
  fd_ = std::move(fd);
  inode_ = inode_of_fd(fd_.get(), "namespace '" + label_ + "'");
  link_set_up(*this, "lo", true);
}

Netns::Netns(std::string label, Fd fd) : label_(std::move(label)), fd_(std::move(fd)) {
  inode_ = inode_of_fd(fd_.get(), "namespace '" + label_ + "'");
}

Netns Netns::current(std::string label) {
  Fd fd = Fd::checked(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC),
                      "open /proc/thread-self/ns/net for namespace '" + label + "'");
  return Netns(std::move(label), std::move(fd));
}

std::string Netns::proc_path() const {
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_.get());
}

namespace detail {

void run_on_thread_in(const Netns& ns, const std::function<void()>& task) {
  if (ns.fd() < 0) {
    throw std::logic_error("run_in: namespace '" + ns.label() + "' was moved from");
  }
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      if (::setns(ns.fd(), CLONE_NEWNET) != 0) {
        throw_errno("setns into namespace '" + ns.label() + "'");
      }
      if (current_netns_inode() != ns.inode()) {
        throw std::logic_error("setns into namespace '" + ns.label() + "' did not take effect");
      }
      task();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) {
    std::rethrow_exception(failure);
  }
}

}  // namespace detail

HostNetnsGuard::HostNetnsGuard() : host_inode_(current_netns_inode()) {}

void HostNetnsGuard::check(const char* where) const {
  if (current_netns_inode() != host_inode_) {
    throw std::logic_error(std::string(where) + ": thread left the host network namespace");
  }
}

}  // namespace tunlab::os
