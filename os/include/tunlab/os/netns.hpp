// Network namespaces owned by this process only: Netns creates an anonymous namespace and holds
// it by a file descriptor, run_in() runs code inside one on a short-lived thread, and
// HostNetnsGuard checks that the calling thread never left the host namespace.
//
// Lifetime: nothing is bind-mounted under /run/netns and no process is left running in a
// namespace, so the kernel frees each namespace when its last reference goes: the fd held here,
// plus sockets and tun fds opened inside it. A run killed with SIGKILL closes all of those, so it
// leaves no namespace, veth or tun device behind and there is nothing to clean up on the next
// start. The cost is that `ip netns` cannot see these namespaces; use
// `nsenter --net=/proc/PID/fd/FD` to look inside one while a run is alive.
#pragma once

#include <sys/types.h>

#include <functional>
#include <future>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "tunlab/os/fd.hpp"

namespace tunlab::os {

// The inode of the network namespace the calling thread is in (/proc/thread-self/ns/net).
ino_t current_netns_inode();

class Netns {
public:
  // Creates a fresh network namespace with `lo` up. `label` (e.g. "left") only names it in error
  // messages and in summaries; the kernel never sees it. Throws std::system_error on failure
  // (needs CAP_SYS_ADMIN).
  explicit Netns(std::string label);
  // A handle on the calling thread's own namespace (nothing is created), so the netlink helpers
  // can configure where a daemon runs, e.g. `tunlab tunnel --address` inside `ip netns exec`.
  static Netns current(std::string label);
  ~Netns() = default;
  Netns(Netns&& other) noexcept = default;
  Netns& operator=(Netns&& other) noexcept = default;
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  // An O_RDONLY fd on the namespace, valid while this object lives (for setns, IFLA_NET_NS_FD).
  int fd() const { return fd_.get(); }
  ino_t inode() const { return inode_; }
  const std::string& label() const { return label_; }
  // A path another process can pass to nsenter --net=... while this process is alive.
  std::string proc_path() const;

private:
  Netns(std::string label, Fd fd);

  std::string label_;
  Fd fd_;
  ino_t inode_ = 0;
};

namespace detail {
// Runs `task` on a new thread that first setns()es into `ns` and checks it arrived; joins it.
// The calling thread never changes namespace, so nothing can be left behind in the wrong one
// if `task` throws.
void run_on_thread_in(const Netns& ns, const std::function<void()>& task);
}  // namespace detail

// Runs fn() inside `ns` and returns its result (exceptions propagate). Sockets, tun fds and
// netlink sockets fn opens belong to `ns` for their whole life, whichever thread uses them later.
// The caller must not rely on thread-local state inside fn.
template <class Fn>
auto run_in(const Netns& ns, Fn&& fn) -> std::invoke_result_t<Fn&> {
  using Result = std::invoke_result_t<Fn&>;
  std::packaged_task<Result()> task(std::ref(fn));
  std::future<Result> result = task.get_future();
  detail::run_on_thread_in(ns, [&task] { task(); });
  return result.get();
}

// Records the namespace of the thread that constructs it; check() throws std::logic_error if the
// calling thread is somewhere else. Real-mode code checks it before and after namespace work so a
// bug can never configure the host by accident.
class HostNetnsGuard {
public:
  HostNetnsGuard();
  ino_t host_inode() const { return host_inode_; }
  void check(const char* where) const;

private:
  ino_t host_inode_;
};

}  // namespace tunlab::os
