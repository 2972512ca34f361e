// The real backend's user-space wire (real/fault_wire.hpp) between two namespaces, frame by frame
// (root only; skipped with the reason otherwise): it carries out exactly the decisions a fresh
// copy of the shared link fault model makes for the same spec and stream, packet for packet;
// frames that are not IPv4 (ARP) pass without consuming a decision; held frames leave after
// the others.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/os/netlink.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/os/privileges.hpp"
#include "tunlab/real/fault_wire.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::real {
namespace {

using Frame = std::vector<std::uint8_t>;

os::Fd packet_socket(const os::Netns& ns, const std::string& ifname) {
  return os::run_in(ns, [&] {
    os::Fd fd = os::Fd::checked(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)), "socket");
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0) {
      os::throw_errno("bind");
    }
    return fd;
  });
}

Frame ethernet(std::uint16_t ethertype, ByteView payload) {
  Frame frame(14 + payload.size());
  const std::uint8_t header[14] = {0x02,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0x02,
                                   0x02,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0x01,
                                   static_cast<std::uint8_t>(ethertype >> 8),
                                   static_cast<std::uint8_t>(ethertype & 0xff)};
  std::copy(std::begin(header), std::end(header), frame.begin());
  std::copy(payload.begin(), payload.end(), frame.begin() + 14);
  return frame;
}

Frame udp_frame(std::uint16_t id, std::size_t payload) {
  UdpSpec udp;
  udp.src = Ipv4Address("192.0.2.1");
  udp.dst = Ipv4Address("192.0.2.2");
  udp.src_port = 1000;
  udp.dst_port = 2000;
  udp.payload_size = payload;
  udp.payload_seed = id;
  udp.id = id;
  return ethernet(0x0800, build_udp(udp).bytes());
}

Frame arp_frame() {
  const std::vector<std::uint8_t> arp = {0,   1, 8, 0, 6, 4, 0, 1, 2, 0, 0,   0, 0, 1,
                                         192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2};
  return ethernet(0x0806, arp);
}

// What the wire must deliver: the frames in order, each through a fresh model's decision (drops
// left out, flips applied, copies twice), held ones after the rest in the order they were held.
Frame faulted(const LinkFaults::Decision& d, Frame frame) {
  if (d.flip) {
    frame[14 + d.flip->byte] ^= d.flip->mask;
  }
  return frame;
}

class FaultWireTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (const auto reason = os::privilege_skip_reason()) {
      GTEST_SKIP() << *reason;
    }
    for (const os::Netns* ns : {&a_, &b_, &w_}) {
      os::disable_ipv6(*ns);
    }
    os::veth_create(a_, "x", w_, "l0a");
    os::veth_create(b_, "y", w_, "l0b");
    for (const auto& [ns, name] :
         {std::pair{&a_, "x"}, std::pair{&b_, "y"}, std::pair{&w_, "l0a"}, std::pair{&w_, "l0b"}}) {
      os::link_set_up(*ns, name, true);
    }
    tx_ = packet_socket(a_, "x");
    rx_ = packet_socket(b_, "y");
  }

  void send(const Frame& frame) {
    ASSERT_EQ(::send(tx_.get(), frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
  }

  // Frames arriving at b until `count` have come (or the deadline passes), then 50 ms more to
  // catch any extra one.
  std::vector<Frame> receive(std::size_t count) {
    std::vector<Frame> out;
    const std::int64_t deadline = os::EpollDriver::now_ns() + 5'000'000'000;
    std::int64_t quiet_until = 0;
    std::vector<std::uint8_t> buffer(65536);
    while (true) {
      const std::int64_t now = os::EpollDriver::now_ns();
      const std::int64_t until = out.size() >= count ? quiet_until : deadline;
      if (now >= until) {
        return out;
      }
      pollfd pfd{rx_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>((until - now) / 1'000'000) + 1) <= 0) {
        continue;
      }
      sockaddr_ll from{};
      socklen_t length = sizeof from;
      const ssize_t n = ::recvfrom(rx_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &length);
      if (n > 0 && from.sll_pkttype != PACKET_OUTGOING) {
        out.emplace_back(buffer.begin(), buffer.begin() + n);
        if (out.size() == count) {
          quiet_until = os::EpollDriver::now_ns() + 50'000'000;
        }
      }
    }
  }

  os::Netns a_{"a"};
  os::Netns b_{"b"};
  os::Netns w_{"wire"};
  os::Fd tx_;
  os::Fd rx_;
};

scenario::LinkFaultSpec spec_from_a() {
  scenario::LinkFaultSpec spec;
  spec.from = {"a", "x"};
  return spec;
}

TEST_F(FaultWireTest, TargetedFaultsHitTheNumberedIpPacketsAndArpConsumesNoDecision) {
  scenario::LinkFaultSpec spec = spec_from_a();
  spec.reorder_nth = {1};
  spec.reorder_delay_ns = 20'000'000;
  spec.drop_nth = {2};
  spec.corrupt_nth = {3};
  spec.duplicate_nth = {4};
  const Random stream = Random::derive(7, LinkFaults::stream_name(spec.from));
  FaultWire wire(w_, "l0a", "l0b", LinkFaults(spec, stream), LinkFaults());
  wire.start();

  std::vector<Frame> sent = {arp_frame()};
  for (std::uint16_t id = 1; id <= 5; ++id) {
    sent.push_back(udp_frame(id, 40 + id));
  }
  for (const Frame& frame : sent) {
    send(frame);
  }
  LinkFaults model(spec, stream);
  std::vector<LinkFaults::Decision> decisions;
  for (std::size_t i = 1; i < sent.size(); ++i) {
    decisions.push_back(model.decide(sent[i].size() - 14));
  }
  ASSERT_TRUE(decisions[2].flip);
  // ARP first and untouched; IP packet 1 held back to the end, 2 dropped, 3 corrupted where the
  // model says, 4 twice, 5 as it was.
  const std::vector<Frame> expected = {sent[0], faulted(decisions[2], sent[3]), sent[4], sent[4], sent[5], sent[1]};
  const std::vector<Frame> got = receive(expected.size());
  wire.stop();
  EXPECT_EQ(got, expected);

  EXPECT_EQ(wire.faults(0).events(), model.events());
  const WireDirectionStats stats = wire.stats(0);
  EXPECT_EQ(stats.frames, 6u);
  EXPECT_EQ(stats.ip_packets, 5u);
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_EQ(stats.corrupted, 1u);
  EXPECT_EQ(stats.duplicated, 1u);
  EXPECT_EQ(stats.delayed, 1u);
  const std::vector<WireDrop> drops = wire.take_drops();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].reason, DropReason::fault_targeted);
  EXPECT_EQ(drops[0].ip, Frame(sent[2].begin() + 14, sent[2].end()));
  ASSERT_EQ(wire.delay_errors_ns().size(), 1u);
  EXPECT_GE(wire.delay_errors_ns()[0], 0);
}

TEST_F(FaultWireTest, RandomFaultsFollowTheModelPacketForPacket) {
  scenario::LinkFaultSpec spec = spec_from_a();
  spec.loss = 0.2;
  spec.corrupt = 0.2;
  spec.duplicate = 0.2;
  const Random stream = Random::derive(3, LinkFaults::stream_name(spec.from));
  FaultWire wire(w_, "l0a", "l0b", LinkFaults(spec, stream), LinkFaults());
  wire.start();
  LinkFaults model(spec, stream);
  std::vector<Frame> expected;
  for (std::uint16_t id = 1; id <= 60; ++id) {
    const Frame frame = udp_frame(id, 20 + id % 7);
    send(frame);
    if (id % 10 == 0) {
      send(arp_frame());  // no decision: the model is not asked
      expected.push_back(arp_frame());
    }
    const LinkFaults::Decision d = model.decide(frame.size() - 14);
    if (!d.drop) {
      for (int copy = 0; copy < (d.duplicate ? 2 : 1); ++copy) {
        expected.insert(expected.end() - (id % 10 == 0 ? 1 : 0), faulted(d, frame));
      }
    }
  }
  const std::vector<Frame> got = receive(expected.size());
  wire.stop();
  EXPECT_EQ(got, expected);
  EXPECT_EQ(wire.faults(0).events(), model.events());
  EXPECT_GT(wire.stats(0).dropped, 0u);
  EXPECT_GT(wire.stats(0).corrupted, 0u);
  EXPECT_GT(wire.stats(0).duplicated, 0u);
}

}  // namespace
}  // namespace tunlab::real
