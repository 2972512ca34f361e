// Namespaces, veths, addresses, routes and sysctls over netlink (root only), and the lifetime
// guarantee: a run killed with SIGKILL leaves no namespace, veth or tun device behind.
//
//   [ns "a"] x0 192.168.50.1/24 ==== veth ==== y0 192.168.50.2/24, 10.77.0.1/32 [ns "b"]
//            route 10.77.0.0/16 via 192.168.50.2
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "os_test_support.hpp"
#include "tunlab/os/netlink.hpp"

namespace tunlab::os {
namespace {

using rt::NsSocket;
using rt::wait_readable;

// Output of a read-only command on the host (popen: fork+exec of /bin/sh, no namespace games).
std::string host_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return "<popen failed>";
  }
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    out.append(buffer.data(), n);
  }
  ::pclose(pipe);
  return out;
}

struct HostSnapshot {
  std::string links = host_command("ip -o link");
  std::string routes = host_command("ip route");
  std::string netns = host_command("ip netns list");
  std::string forward = host_command("cat /proc/sys/net/ipv4/ip_forward");
};

void expect_host_unchanged(const HostSnapshot& before) {
  const HostSnapshot after;
  EXPECT_EQ(before.links, after.links);
  EXPECT_EQ(before.routes, after.routes);
  EXPECT_EQ(before.netns, after.netns);
  EXPECT_EQ(before.forward, after.forward);
}

// Every "net:[inode]" some process holds open as a namespace or an fd.
std::set<std::string> netns_references_in_proc() {
  std::set<std::string> refs;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return refs;
  }
  char target[256];
  while (dirent* pid = ::readdir(proc)) {
    if (pid->d_name[0] < '0' || pid->d_name[0] > '9') {
      continue;
    }
    const std::string base = std::string("/proc/") + pid->d_name;
    ssize_t n = ::readlink((base + "/ns/net").c_str(), target, sizeof target - 1);
    if (n > 0) {
      refs.insert(std::string(target, static_cast<std::size_t>(n)));
    }
    if (DIR* fds = ::opendir((base + "/fd").c_str())) {
      while (dirent* fd = ::readdir(fds)) {
        n = ::readlink((base + "/fd/" + fd->d_name).c_str(), target, sizeof target - 1);
        if (n > 0 && std::string(target, static_cast<std::size_t>(n)).rfind("net:[", 0) == 0) {
          refs.insert(std::string(target, static_cast<std::size_t>(n)));
        }
      }
      ::closedir(fds);
    }
  }
  ::closedir(proc);
  return refs;
}

std::string net_ref(ino_t inode) {
  return "net:[" + std::to_string(inode) + "]";
}

class RealNetnsTest : public ::testing::Test {
protected:
  void SetUp() override { TUNLAB_SKIP_UNLESS_PRIVILEGED(); }
  HostNetnsGuard host_;
};

TEST_F(RealNetnsTest, NewNamespaceIsDistinctAndHasLoopbackUp) {
  const Netns ns("probe");
  EXPECT_NE(ns.inode(), host_.host_inode());
  EXPECT_TRUE(link_exists(ns, "lo"));
  EXPECT_FALSE(link_exists(ns, "eth0")) << "a fresh namespace must not see host interfaces";
  // lo is up: a UDP datagram to 127.0.0.1 inside the namespace arrives.
  NsSocket rx(ns, SOCK_DGRAM, 0);
  rx.bind_to(Ipv4Address("127.0.0.1"), 7000);
  NsSocket tx(ns, SOCK_DGRAM, 0);
  ASSERT_EQ(tx.send_to(Ipv4Address("127.0.0.1"), 7000, {1, 2, 3}), 3);
  ASSERT_TRUE(wait_readable(rx.fd()));
  host_.check("after run_in");
}

TEST_F(RealNetnsTest, VethAddressesAndRoutesCarryTraffic) {
  const HostSnapshot before;
  {
    const Netns a("a");
    const Netns b("b");
    veth_create(a, "x0", b, "y0");
    EXPECT_TRUE(link_exists(a, "x0"));
    EXPECT_FALSE(link_exists(a, "y0"));
    EXPECT_TRUE(link_exists(b, "y0"));
    link_set_mtu(a, "x0", 1400);
    EXPECT_EQ(link_mtu(a, "x0"), 1400u);
    address_add(a, "x0", Ipv4Address("192.168.50.1"), 24);
    address_add(b, "y0", Ipv4Address("192.168.50.2"), 24);
    address_add(b, "y0", Ipv4Address("10.77.0.1"), 32);
    link_set_up(a, "x0", true);
    link_set_up(b, "y0", true);
    route_add(a, Ipv4Address("10.77.0.0"), 16, Ipv4Address("192.168.50.2"), std::string("x0"));

    NsSocket rx(b, SOCK_DGRAM, 0);
    rx.bind_to(Ipv4Address("10.77.0.1"), 7001);
    NsSocket tx(a, SOCK_DGRAM, 0);
    const std::vector<std::uint8_t> payload{9, 8, 7, 6};
    ASSERT_EQ(tx.send_to(Ipv4Address("10.77.0.1"), 7001, payload), 4);
    ASSERT_TRUE(wait_readable(rx.fd())) << "route via 192.168.50.2 did not carry the datagram";
    EXPECT_EQ(rx.try_recv(), payload);
    EXPECT_THROW(route_add(a, Ipv4Address("10.77.0.0"), 16, Ipv4Address("192.168.50.2"), std::nullopt),
                 std::runtime_error)
        << "adding the same route twice must fail (NLM_F_EXCL)";
  }
  expect_host_unchanged(before);
}

TEST_F(RealNetnsTest, SysctlsApplyInsideTheNamespaceOnly) {
  const std::string host_forward = host_command("cat /proc/sys/net/ipv4/ip_forward");
  const Netns ns("router");
  EXPECT_EQ(sysctl_read(ns, "net/ipv4/ip_forward"), "0");
  enable_forwarding(ns);
  EXPECT_EQ(sysctl_read(ns, "net/ipv4/ip_forward"), "1");
  EXPECT_EQ(host_command("cat /proc/sys/net/ipv4/ip_forward"), host_forward);
  allow_local_source(ns, "lo");
  EXPECT_EQ(sysctl_read(ns, "net/ipv4/conf/lo/accept_local"), "1");
  EXPECT_EQ(sysctl_read(ns, "net/ipv4/conf/all/rp_filter"), "0");
}

TEST_F(RealNetnsTest, VethPeerVanishesWithItsNamespace) {
  const Netns b("b");
  auto a = std::make_unique<Netns>("a");
  veth_create(*a, "x0", b, "y0");
  ASSERT_TRUE(link_exists(b, "y0"));
  // The kernel dismantles a namespace asynchronously: watch b's link notifications (bounded).
  const int fd = run_in(b, [] {
    const int s = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK;
    return s >= 0 && ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ? s : -1;
  });
  ASSERT_GE(fd, 0);
  a.reset();
  EpollDriver driver;
  bool gone = !link_exists(b, "y0");
  driver.add(fd, [&](std::int64_t) {
    std::array<char, 8192> buffer{};
    while (::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT) > 0) {
    }
    gone = !link_exists(b, "y0");
  });
  driver.run_until([&] { return gone; }, rt::kDeadline);
  ::close(fd);
  EXPECT_TRUE(gone) << "y0 still exists after its peer's namespace was released";
}

TEST_F(RealNetnsTest, SeedTopologyLeavesTheHostUntouched) {
  const HostSnapshot before;
  {
    const auto seed = rt::seed_topology();
    EXPECT_TRUE(link_exists(seed->ns("left"), "eth0"));
    EXPECT_TRUE(link_exists(seed->ns("left"), "tun0"));
    EXPECT_TRUE(link_exists(seed->ns("wan"), "left"));
    EXPECT_TRUE(link_exists(seed->ns("wan"), "right"));
    EXPECT_TRUE(link_exists(seed->ns("right"), "tun0"));
    EXPECT_EQ(sysctl_read(seed->ns("wan"), "net/ipv4/ip_forward"), "1");
    EXPECT_EQ(sysctl_read(seed->ns("left"), "net/ipv4/conf/tun0/accept_local"), "1");
    EXPECT_EQ(link_mtu(seed->ns("left"), "tun0"), 1480u);
    host_.check("after building the seed topology");
  }
  expect_host_unchanged(before);
}

// The run's only references to its namespaces are fds and sockets of the process, so SIGKILL
// frees everything: no bind mount, no helper process, nothing for a later run to clean up.
TEST_F(RealNetnsTest, SigkilledRunLeavesNothingBehind) {
  const HostSnapshot before;
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  // This process is single-threaded here (run_in threads are joined), so the child may build
  // the network with threads and allocation freely.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      const auto seed = rt::seed_topology();
      std::ostringstream line;
      line << seed->ns("left").inode() << ' ' << seed->ns("wan").inode() << ' ' << seed->ns("right").inode() << '\n';
      const std::string text = line.str();
      if (::write(ready[1], text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        ::_exit(3);
      }
      ::pause();  // until SIGKILL
    } catch (...) {
      ::_exit(4);
    }
    ::_exit(5);
  }
  ::close(ready[1]);
  std::string line;
  {
    EpollDriver driver;
    bool done = false;
    driver.add(ready[0], [&](std::int64_t) {
      char buffer[128];
      const ssize_t n = ::read(ready[0], buffer, sizeof buffer);
      if (n <= 0) {
        done = true;  // the child died before it was ready
        return;
      }
      line.append(buffer, static_cast<std::size_t>(n));
      done = line.find('\n') != std::string::npos;
    });
    driver.run_until([&] { return done; }, std::chrono::seconds(20));
  }
  ::close(ready[0]);
  std::istringstream fields(line);
  ino_t inodes[3] = {0, 0, 0};
  fields >> inodes[0] >> inodes[1] >> inodes[2];
  const bool child_ready = inodes[2] != 0;
  // While the child runs its namespaces are visible as its fds (proves the check below can fail).
  const std::set<std::string> alive = netns_references_in_proc();
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(child_ready) << "child did not report readiness: '" << line << "'";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (const ino_t inode : inodes) {
    EXPECT_EQ(alive.count(net_ref(inode)), 1u) << "namespace " << inode << " not seen while the child ran";
  }
  const std::set<std::string> after = netns_references_in_proc();
  for (const ino_t inode : inodes) {
    EXPECT_EQ(after.count(net_ref(inode)), 0u) << "namespace " << inode << " still referenced after SIGKILL";
  }
  expect_host_unchanged(before);
}

}  // namespace
}  // namespace tunlab::os
