// Helpers shared by the root-only suites (os_*_test.cpp): the privilege skip, the seed topology
// in namespaces, UDP sockets opened inside a namespace, and bounded waits through the os::EpollDriver
// (a deadline is a test failure, never a hang; no sleeps).
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "seed_model.hpp"
#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/os/privileges.hpp"
#include "tunlab/real/real_topology.hpp"
#include "tunlab/wire/ipv4.hpp"

#define TUNLAB_SKIP_UNLESS_PRIVILEGED()                                     \
  do {                                                                      \
    if (const auto tunlab_reason = ::tunlab::os::privilege_skip_reason()) { \
      GTEST_SKIP() << *tunlab_reason;                                       \
    }                                                                       \
  } while (0)

namespace tunlab::os::rt {

inline constexpr std::chrono::seconds kDeadline{5};

// The seed built by the generic runner: namespaces left, wan and right, and (unless
// options.tunnels is false) app B, tunlab's TunnelEngine, on each tun0; nothing drives the apps.
inline std::unique_ptr<real::RealTopology> seed_topology(const test::SeedModelOptions& options = {}) {
  return std::make_unique<real::RealTopology>(test::seed_model(options), AppRegistry::builtin(), 1);
}

inline sockaddr_in sockaddr_of(Ipv4Address address, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = static_cast<std::uint32_t>(address);
  return sin;
}

// A non-blocking socket created inside a namespace (it stays there whichever thread uses it).
class NsSocket {
public:
  NsSocket(const os::Netns& ns, int type, int protocol) {
    fd_ = os::run_in(ns, [&] { return ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol); });
    if (fd_ < 0) {
      throw std::runtime_error("socket in namespace " + ns.label());
    }
  }
  ~NsSocket() { ::close(fd_); }
  NsSocket(const NsSocket&) = delete;
  NsSocket& operator=(const NsSocket&) = delete;
  int fd() const { return fd_; }

  void bind_to(Ipv4Address address, std::uint16_t port) {
    const sockaddr_in sin = sockaddr_of(address, port);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&sin), sizeof sin) != 0) {
      throw std::runtime_error("bind " + address.to_string() + ":" + std::to_string(port));
    }
  }
  void set_int(int level, int name, int value) {
    if (::setsockopt(fd_, level, name, &value, sizeof value) != 0) {
      throw std::runtime_error("setsockopt");
    }
  }
  // sendto(); returns -errno on failure.
  long send_to(Ipv4Address address, std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
    const sockaddr_in sin = sockaddr_of(address, port);
    const ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
    return n < 0 ? -errno : n;
  }
  std::optional<std::vector<std::uint8_t>> try_recv(int flags = 0) {
    std::vector<std::uint8_t> buffer(70000);
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT | flags);
    if (n < 0) {
      return std::nullopt;
    }
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

private:
  int fd_ = -1;
};

// Waits (bounded) until `fd` is readable. True if it became readable before the deadline.
inline bool wait_readable(int fd, std::chrono::nanoseconds timeout = kDeadline) {
  os::EpollDriver driver;
  bool ready = false;
  driver.add(fd, [&](std::int64_t) { ready = true; });
  driver.run_until([&] { return ready; }, timeout);
  return ready;
}

}  // namespace tunlab::os::rt
