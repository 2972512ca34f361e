// The tunnel end to end on the kernel (root only): the seed topology built by real::RealTopology, its
// app B on each side (tunlab's TunnelEngine) driven here by an EpollDriver, real sockets as app A
// and app C.
//
//   [left] app A --> tun0 --> engine --> raw IPIP --> eth0 == [wan] == eth0 --> raw IPIP -->
//          engine --> tun0 --> app C (10.0.0.22:9000) [right]
//
// Every wait is bounded by the driver's deadline (a failure, not a hang); nothing sleeps.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/ip_icmp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "os_test_support.hpp"
#include "test_packets.hpp"
#include "tunlab/os/netlink.hpp"
#include "tunlab/os/tunnel_daemon.hpp"
#include "tunlab/tunnel/tunnel_engine.hpp"

extern char** environ;

namespace tunlab::os {
namespace {

using A = test::SeedAddresses;
using rt::NsSocket;

class RealTunnelTest : public ::testing::Test {
protected:
  void SetUp() override { TUNLAB_SKIP_UNLESS_PRIVILEGED(); }

  void build(const test::SeedModelOptions& options = {}) {
    topology_ = rt::seed_topology(options);
    left_ = &drive(tunnel("left"));
    right_ = &drive(tunnel("right"));
  }

  real::RealTunnel& tunnel(const std::string& host) {
    for (real::RealTunnel& t : topology_->tunnels()) {
      if (t.host == host) {
        return t;
      }
    }
    throw std::logic_error("no tunnel on " + host);
  }

  // The seed's tunnels run the built-in "ipip" app, a TunnelEngine: the tests read its typed
  // counters and tunnel MTU, which AppB does not offer.
  TunnelEngine& drive(real::RealTunnel& t) {
    auto& engine = dynamic_cast<TunnelEngine&>(*t.app);
    driver_.add(t.device->poll_fd(), [&engine](std::int64_t now) { engine.poll_device(now); });
    driver_.add(t.underlay->poll_fd(), [&engine](std::int64_t now) { engine.poll_underlay(now); });
    return engine;
  }

  bool run_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout = rt::kDeadline) {
    return driver_.run_until(done, timeout) == EpollDriver::Outcome::predicate_met;
  }

  EpollDriver driver_;
  std::unique_ptr<real::RealTopology> topology_;
  TunnelEngine* left_ = nullptr;
  TunnelEngine* right_ = nullptr;
};

TEST_F(RealTunnelTest, UdpFromAppAArrivesByteIdenticalAtAppC) {
  build();
  NsSocket app_c(topology_->ns("right"), SOCK_DGRAM, 0);
  app_c.bind_to(A::right_tun(), 9000);
  NsSocket app_a(topology_->ns("left"), SOCK_DGRAM, 0);
  const test::Bytes payload = test::pattern_bytes(1000, 42);
  ASSERT_EQ(app_a.send_to(A::right_tun(), 9000, payload), 1000);
  std::optional<std::vector<std::uint8_t>> received;
  driver_.add(app_c.fd(), [&](std::int64_t) { received = app_c.try_recv(); });
  ASSERT_TRUE(run_until([&] { return received.has_value(); }))
      << "left sent " << left_->counters().outer_packets_sent << ", right received "
      << right_->counters().outer_packets_received << ", right wrote " << right_->counters().device_packets_written;
  EXPECT_TRUE(test::bytes_equal(payload, *received));
  EXPECT_EQ(left_->counters().outer_packets_sent, 1u);
  EXPECT_EQ(right_->counters().outer_packets_received, 1u);
  EXPECT_EQ(right_->counters().device_packets_written, 1u);
  EXPECT_EQ(left_->counters().drops.total() + right_->counters().drops.total(), 0u);
}

// IP_HDRINCL: the kernel keeps every field we chose (a non-zero ID included); only the router
// in wan changes the packet, by decrementing the TTL.
TEST_F(RealTunnelTest, OuterHeaderFieldsSurviveTheKernelExactly) {
  build();
  const test::Bytes inner = test::make_udp_bytes(100);
  OuterHeader outer{A::left_eth0(), A::right_eth0(), 33, 0x28, 0xbeef, true};
  ASSERT_EQ(tunnel("left").underlay->send(outer, Packet(inner)).status, IoStatus::ok);
  Packet got;
  UnderlayError error;
  UnderlayEvent event = UnderlayEvent::nothing;
  // Take the right side away from its engine so the test sees the raw outer packet.
  RawIpipUnderlay& right = *tunnel("right").underlay;
  driver_.remove(right.poll_fd());
  driver_.add(right.poll_fd(), [&](std::int64_t) { event = right.receive(got, error); });
  ASSERT_TRUE(run_until([&] { return event != UnderlayEvent::nothing; }));
  ASSERT_EQ(event, UnderlayEvent::packet);
  const auto ip = Ipv4View::parse(got.bytes());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->src(), A::left_eth0());
  EXPECT_EQ(ip->dst(), A::right_eth0());
  EXPECT_EQ(ip->protocol(), ipproto::kIpip);
  EXPECT_EQ(ip->ttl(), 32) << "sent 33, one router on the path";
  EXPECT_EQ(ip->tos(), 0x28);
  EXPECT_EQ(ip->id(), 0xbeef);
  EXPECT_TRUE(ip->df());
  EXPECT_EQ(ip->total_length(), 120);
  EXPECT_TRUE(ip->header_checksum_ok());
  EXPECT_TRUE(test::bytes_equal(inner, ip->payload()));
}

// Echo request/reply through the tunnel with a raw ICMP socket as app A (the container has no
// ping binary; RealTunnelTest.PingBinaryThroughTheTunnel uses it where it exists).
TEST_F(RealTunnelTest, EchoRequestThroughTheTunnelIsAnswered) {
  build();
  NsSocket app_a(topology_->ns("left"), SOCK_RAW, IPPROTO_ICMP);
  std::vector<std::uint8_t> echo(8 + 56);
  echo[0] = 8;  // echo request
  echo[4] = 0x12;
  echo[5] = 0x34;  // identifier
  echo[7] = 1;     // sequence
  for (std::size_t i = 8; i < echo.size(); ++i) {
    echo[i] = static_cast<std::uint8_t>(i);
  }
  const std::uint16_t sum = test::reference_checksum(echo);
  echo[2] = static_cast<std::uint8_t>(sum >> 8);
  echo[3] = static_cast<std::uint8_t>(sum & 0xff);
  ASSERT_EQ(app_a.send_to(A::right_tun(), 0, echo), static_cast<long>(echo.size()));
  bool replied = false;
  driver_.add(app_a.fd(), [&](std::int64_t) {
    while (const auto packet = app_a.try_recv()) {
      const auto ip = Ipv4View::parse(*packet);
      if (ip && ip->src() == A::right_tun() && ip->payload().size() == echo.size() && ip->payload()[0] == 0 &&
          ip->payload()[4] == 0x12 && ip->payload()[5] == 0x34) {
        replied = true;
      }
    }
  });
  ASSERT_TRUE(run_until([&] { return replied; }));
  EXPECT_EQ(left_->counters().outer_packets_sent, 1u);
  EXPECT_EQ(left_->counters().outer_packets_received, 1u);
}

// Runs argv inside `ns` through nsenter on the namespace fd; returns exit status and output.
struct Spawned {
  int status = -1;
  std::string output;
};
Spawned spawn_in(const Netns& ns, std::vector<std::string> args, EpollDriver& driver) {
  const std::string net = "--net=" + ns.proc_path();
  args.insert(args.begin(), {"nsenter", net});
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return {};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  // The namespace fd must survive exec for nsenter to open /proc/PID/fd/N: it is our fd, and
  // /proc/PID refers to this process, which stays alive, so CLOEXEC does not matter.
  const int rc = ::posix_spawnp(&pid, "nsenter", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  Spawned result;
  if (rc != 0) {
    ::close(out[0]);
    return result;
  }
  bool eof = false;
  driver.add(out[0], [&](std::int64_t) {
    char buffer[4096];
    const ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n <= 0) {
      eof = true;
    } else {
      result.output.append(buffer, static_cast<std::size_t>(n));
    }
  });
  const bool finished =
      driver.run_until([&] { return eof; }, std::chrono::seconds(10)) == EpollDriver::Outcome::predicate_met;
  driver.remove(out[0]);
  ::close(out[0]);
  if (!finished) {
    ::kill(pid, SIGKILL);
  }
  ::waitpid(pid, &result.status, 0);
  return result;
}

bool binary_in_path(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

TEST_F(RealTunnelTest, RealBinariesRunInsideTheNamespaceThroughItsFd) {
  build();
  const Spawned ip = spawn_in(topology_->ns("left"), {"ip", "-o", "-4", "addr", "show", "dev", "tun0"}, driver_);
  ASSERT_TRUE(WIFEXITED(ip.status) && WEXITSTATUS(ip.status) == 0) << ip.output;
  EXPECT_NE(ip.output.find("10.0.0.12/24"), std::string::npos) << ip.output;
}

TEST_F(RealTunnelTest, PingBinaryThroughTheTunnel) {
  if (!binary_in_path("ping")) {
    GTEST_SKIP() << "no ping binary installed; EchoRequestThroughTheTunnelIsAnswered covers echo";
  }
  build();
  const Spawned ping = spawn_in(topology_->ns("left"), {"ping", "-n", "-c", "2", "-W", "3", "10.0.0.22"}, driver_);
  EXPECT_TRUE(WIFEXITED(ping.status) && WEXITSTATUS(ping.status) == 0) << ping.output;
}

// RFC 2003 §4 / docs/pmtu.md: the wan→right link is narrower than the tunnel assumed. wan
// answers the outer packet with 3/4 (MTU 1400), the left engine relays 3/4 with MTU 1380 into
// tun0, and app A's socket sees it.
TEST_F(RealTunnelTest, OversizeDfGetsFragNeededAtAppA) {
  test::SeedModelOptions options;
  options.right_link_mtu = 1400;
  build(options);
  NsSocket app_c(topology_->ns("right"), SOCK_DGRAM, 0);
  app_c.bind_to(A::right_tun(), 9000);
  NsSocket app_a(topology_->ns("left"), SOCK_DGRAM, 0);
  app_a.set_int(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
  app_a.set_int(IPPROTO_IP, IP_RECVERR, 1);
  ASSERT_EQ(app_a.send_to(A::right_tun(), 9000, test::pattern_bytes(1450)), 1450);

  std::optional<sock_extended_err> icmp;
  Ipv4Address offender;
  driver_.add(app_a.fd(), [&](std::int64_t) {
    alignas(cmsghdr) std::uint8_t control[512];
    std::uint8_t data[2048];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(app_a.fd(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
      return;
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) {
        sock_extended_err ee{};
        std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
        sockaddr_in from{};
        std::memcpy(&from, SO_EE_OFFENDER(reinterpret_cast<sock_extended_err*>(CMSG_DATA(c))), sizeof from);
        offender = Ipv4Address(from.sin_addr.s_addr);
        icmp = ee;
      }
    }
  });
  ASSERT_TRUE(run_until([&] { return icmp.has_value(); }))
      << "left engine: icmp_errors_received " << left_->counters().icmp_errors_received << ", icmp_sent_to_inner "
      << left_->counters().icmp_sent_to_inner << ", outer sent " << left_->counters().outer_packets_sent;
  EXPECT_EQ(icmp->ee_origin, SO_EE_ORIGIN_ICMP);
  EXPECT_EQ(icmp->ee_type, 3);
  EXPECT_EQ(icmp->ee_code, 4);
  EXPECT_EQ(icmp->ee_info, 1380u);
  EXPECT_EQ(offender, A::left_tun()) << "app B answers from tun0's address";
  EXPECT_EQ(left_->counters().icmp_errors_received, 1u);
  // The relayed 3/4 is the one packet the left engine wrote into tun0. (TunnelCounters has
  // icmp_sent_to_inner for this, but the engine does not count it yet.)
  EXPECT_EQ(left_->counters().device_packets_written, 1u);
  EXPECT_EQ(left_->tunnel_mtu(EpollDriver::now_ns()), 1380u);
  EXPECT_FALSE(app_c.try_recv().has_value());
  EXPECT_EQ(right_->counters().outer_packets_received, 0u);
}

}  // namespace
}  // namespace tunlab::os

namespace tunlab::os {
namespace {

// The daemon (`tunlab tunnel`) run inside left for a bounded time: it creates its device in the
// caller's namespace, stops on its own and prints one JSON line of counters.
TEST(RealTunnelDaemonTest, RunsBoundedAndPrintsCountersJson) {
  TUNLAB_SKIP_UNLESS_PRIVILEGED();
  const auto seed = rt::seed_topology();
  const Netns& left = seed->ns("left");
  TunnelDaemonOptions options;
  options.device = "tund0";
  options.config.local = A::left_eth0();
  options.config.remote = A::right_eth0();
  options.run_for_ns = 50'000'000;
  std::ostringstream out;
  std::ostringstream err;
  const int rc = run_in(left, [&] {
    const int code = run_tunnel_daemon(options, out, err);
    // The device lived only as long as the daemon.
    return link_exists(left, "tund0") ? 100 + code : code;
  });
  EXPECT_EQ(rc, 0) << err.str();
  const std::string printed = out.str();
  EXPECT_EQ(printed.rfind("{\"device_packets_read\": 0", 0), 0u) << printed;
  EXPECT_EQ(std::count(printed.begin(), printed.end(), '\n'), 1) << printed;
}

TEST(RealTunnelDaemonTest, RejectsAnUnderlayMtuTooSmallForATunnel) {
  TunnelDaemonOptions options;
  options.config.underlay_mtu = 60;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_tunnel_daemon(options, out, err), 2);
  EXPECT_NE(err.str().find("underlay MTU 60"), std::string::npos) << err.str();
}

TEST(RealTunnelDaemonTest, RefusesAnUnknownAppBeforeTouchingTheSystem) {
  TunnelDaemonOptions options;
  options.config.local = A::left_eth0();
  options.config.remote = A::right_eth0();
  options.app = "no-such-app";
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_tunnel_daemon(options, out, err), 2);
  EXPECT_NE(err.str().find("unknown app 'no-such-app'"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace tunlab::os
