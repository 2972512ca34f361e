// os::TunDevice against the kernel's /dev/net/tun, each test in a fresh namespace (root only):
//
//   [ns "dev"]  UDP socket 10.9.0.1 --stack--> tun0 10.9.0.1/24 <--read/write--> TunDevice (test)
#include <gtest/gtest.h>

#include <fstream>

#include <net/if.h>

#include <memory>
#include <set>
#include <system_error>

#include "os_test_support.hpp"
#include "test_packets.hpp"
#include "tunlab/harness/faulty_device.hpp"
#include "tunlab/os/netlink.hpp"
#include "tunlab/os/tun_device.hpp"

namespace tunlab::os {
namespace {

using rt::NsSocket;
using rt::wait_readable;

const Ipv4Address kTunAddress{"10.9.0.1"};
const Ipv4Address kPeer{"10.9.0.2"};

class RealDeviceTest : public ::testing::Test {
protected:
  void SetUp() override {
    TUNLAB_SKIP_UNLESS_PRIVILEGED();
    ns_ = std::make_unique<Netns>("dev");
    disable_ipv6(*ns_);
  }

  std::unique_ptr<TunDevice> open(TunOptions options, bool configure = true) {
    auto device = run_in(*ns_, [&] { return std::make_unique<TunDevice>(options); });
    if (configure) {
      address_add(*ns_, device->name().data(), kTunAddress, 24);
      allow_local_source(*ns_, std::string(device->name()));
    }
    return device;
  }

  // A UDP datagram from the namespace's stack towards the tun device (10.9.0.2 routes to tun0).
  void send_from_stack(std::size_t payload_size, std::uint16_t src_port = 40000) {
    NsSocket socket(*ns_, SOCK_DGRAM, 0);
    socket.bind_to(kTunAddress, src_port);
    ASSERT_EQ(socket.send_to(kPeer, 9, tunlab::test::pattern_bytes(payload_size)), static_cast<long>(payload_size));
  }

  std::unique_ptr<Netns> ns_;
  HostNetnsGuard host_;
};

TEST_F(RealDeviceTest, TunIsCreatedInsideTheNamespaceNotTheHost) {
  const unsigned host_index_before = ::if_nametoindex("tun0");
  TunOptions options;
  options.mtu = 1400;
  auto device = open(options);
  EXPECT_EQ(device->name(), "tun0");
  EXPECT_EQ(device->kind(), DeviceKind::tun);
  EXPECT_TRUE(link_exists(*ns_, "tun0"));
  EXPECT_EQ(link_mtu(*ns_, "tun0"), 1400u);
  EXPECT_EQ(device->mtu(), 1400u);
  EXPECT_EQ(::if_nametoindex("tun0"), host_index_before) << "tun0 appeared in the host namespace";
  host_.check("after opening tun0");
}

TEST_F(RealDeviceTest, ReadsThePacketTheStackRoutedToTun) {
  auto device = open({});
  send_from_stack(100);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  Packet packet;
  const IoResult result = device->read(packet);
  ASSERT_EQ(result.status, IoStatus::ok) << to_string(result.status);
  ASSERT_EQ(result.bytes, 128u);
  const auto ip = Ipv4View::parse(packet.bytes());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->src(), kTunAddress);
  EXPECT_EQ(ip->dst(), kPeer);
  EXPECT_EQ(ip->protocol(), ipproto::kUdp);
  EXPECT_TRUE(tunlab::test::bytes_equal(tunlab::test::pattern_bytes(100), packet.bytes().subspan(28)));
}

TEST_F(RealDeviceTest, EmptyQueueWouldBlock) {
  auto device = open({});
  Packet packet;
  const IoResult result = device->read(packet);
  EXPECT_EQ(result.status, IoStatus::would_block);
  EXPECT_EQ(result.sys_errno, EAGAIN);
}

TEST_F(RealDeviceTest, ReadableSaysWhetherAPacketWaitsWithoutTakingIt) {
  auto device = open({});
  EXPECT_FALSE(device->readable());
  send_from_stack(100);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  EXPECT_TRUE(device->readable());
  EXPECT_TRUE(device->readable()) << "asking took the packet";
  Packet packet;
  EXPECT_EQ(device->read(packet).status, IoStatus::ok);
  EXPECT_FALSE(device->readable());
}

// The scenario's read faults around the kernel's tun (FaultyDevice): a faulted read leaves the
// packet queued in the kernel, so the fd stays readable for epoll; a short buffer truncates.
TEST_F(RealDeviceTest, FaultyDeviceAroundTheTunLeavesAFaultedPacketInTheKernelsQueue) {
  auto device = open({});
  scenario::DeviceFaultSpec always;
  always.eagain = 1.0;
  FaultyDevice eagain(*device, always, Random(1));
  send_from_stack(100);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  Packet packet;
  EXPECT_EQ(eagain.read(packet).status, IoStatus::would_block);
  EXPECT_TRUE(wait_readable(eagain.poll_fd())) << "the faulted packet left the kernel's queue";

  scenario::DeviceFaultSpec short_buffer;
  short_buffer.read_buffer = 50;
  FaultyDevice truncating(*device, short_buffer, Random(1));
  const IoResult result = truncating.read(packet);
  EXPECT_EQ(result.status, IoStatus::truncated);
  EXPECT_EQ(result.bytes, 50u);
  EXPECT_EQ(packet.size(), 50u);
  EXPECT_FALSE(device->readable());
}

// Device faults on the real backend wrap the kernel's tun; io_uring batching stays on under them
// (the wrapper once hid it, and the engine fell back to a system call per packet).
TEST_F(RealDeviceTest, FaultyDeviceAroundTheTunKeepsBatchedIo) {
  auto device = open({});
  ASSERT_TRUE(device->capabilities().batched_io) << device->batched_io_note();
  scenario::DeviceFaultSpec short_buffer;
  short_buffer.read_buffer = 50;
  FaultyDevice faulty(*device, short_buffer, Random(1));
  EXPECT_TRUE(faulty.capabilities().batched_io);

  for (int i = 0; i < 3; ++i) {
    send_from_stack(100, static_cast<std::uint16_t>(40000 + i));
  }
  ASSERT_TRUE(wait_readable(faulty.poll_fd()));
  std::vector<Packet> packets(8);
  std::vector<IoResult> results(8);
  std::size_t truncated = 0;
  // The stack queued all three before send returned; a few batches take them whatever their size.
  for (int batch = 0; batch < 8 && truncated < 3; ++batch) {
    const std::size_t got = faulty.read_many(packets, results);
    ASSERT_GT(got, 0u);
    for (std::size_t i = 0; i < got; ++i) {
      truncated += results[i].status == IoStatus::truncated ? 1 : 0;
      ASSERT_NE(results[i].status, IoStatus::ok) << "a 128-byte packet came through a 50-byte buffer whole";
    }
  }
  EXPECT_EQ(truncated, 3u);
  EXPECT_FALSE(device->readable());
}

TEST_F(RealDeviceTest, TxQueueLenBoundsThePacketsWaitingForAppB) {
  auto device = open({});
  link_set_txqueuelen(*ns_, "tun0", 3);
  for (int i = 0; i < 6; ++i) {
    send_from_stack(20, static_cast<std::uint16_t>(40000 + i));
  }
  Packet packet;
  int read = 0;
  while (device->read(packet).ok()) {
    ++read;
  }
  EXPECT_EQ(read, 3);
}

TEST_F(RealDeviceTest, WrittenPacketReachesASocketInTheNamespace) {
  auto device = open({});
  NsSocket receiver(*ns_, SOCK_DGRAM, 0);
  receiver.bind_to(kTunAddress, 5001);
  tunlab::test::IpSpec spec;
  spec.src = kPeer;
  spec.dst = kTunAddress;
  const tunlab::test::Bytes packet = tunlab::test::make_udp_bytes(200, spec);
  const IoResult result = device->write(packet);
  ASSERT_EQ(result.status, IoStatus::ok) << to_string(result.status) << " errno " << result.sys_errno;
  EXPECT_EQ(result.bytes, 200u);
  ASSERT_TRUE(wait_readable(receiver.fd()));
  const auto got = receiver.try_recv();
  ASSERT_TRUE(got);
  EXPECT_TRUE(tunlab::test::bytes_equal(std::span(packet).subspan(28), *got));
}

TEST_F(RealDeviceTest, PacketInfoHeaderIsStrippedOnReadAndAddedOnWrite) {
  TunOptions options;
  options.packet_info = true;
  auto device = open(options);
  send_from_stack(60);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  Packet packet;
  ASSERT_EQ(device->read(packet).status, IoStatus::ok);
  ASSERT_EQ(packet.size(), 88u);
  EXPECT_EQ(packet[0], 0x45) << "PI header was not stripped";

  NsSocket receiver(*ns_, SOCK_DGRAM, 0);
  receiver.bind_to(kTunAddress, 5001);
  tunlab::test::IpSpec spec;
  spec.src = kPeer;
  spec.dst = kTunAddress;
  const tunlab::test::Bytes udp = tunlab::test::make_udp_bytes(90, spec);
  const IoResult written = device->write(udp);
  ASSERT_EQ(written.status, IoStatus::ok);
  EXPECT_EQ(written.bytes, 90u) << "the 4 PI bytes must not be counted";
  ASSERT_TRUE(wait_readable(receiver.fd())) << "the kernel did not accept our PI header (EtherType 0x0800)";
  const auto got = receiver.try_recv();
  ASSERT_TRUE(got);
  EXPECT_TRUE(tunlab::test::bytes_equal(std::span(udp).subspan(28), *got));
}

TEST_F(RealDeviceTest, ShortReadBufferTruncatesWithoutPacketInfo) {
  TunOptions options;
  options.read_buffer = 40;
  auto device = open(options);
  send_from_stack(100);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  Packet packet;
  const IoResult result = device->read(packet);
  EXPECT_EQ(result.status, IoStatus::truncated);
  EXPECT_EQ(result.bytes, 40u);
  EXPECT_EQ(packet.size(), 40u);
  // The rest of the packet is gone: the next read finds the queue empty.
  EXPECT_EQ(device->read(packet).status, IoStatus::would_block);
}

TEST_F(RealDeviceTest, ExactFitIsNotTruncated) {
  TunOptions options;
  options.read_buffer = 128;
  auto device = open(options);
  send_from_stack(100);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  Packet packet;
  EXPECT_EQ(device->read(packet).status, IoStatus::ok);
  EXPECT_EQ(packet.size(), 128u);
}

TEST_F(RealDeviceTest, ShortReadBufferTruncatesWithPacketInfoFlag) {
  TunOptions options;
  options.read_buffer = 40;
  options.packet_info = true;
  auto device = open(options);
  send_from_stack(100);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  Packet packet;
  const IoResult result = device->read(packet);
  EXPECT_EQ(result.status, IoStatus::truncated) << "TUN_PKT_STRIP not reported";
  EXPECT_EQ(packet.size(), 40u);
}

TEST_F(RealDeviceTest, BadVersionNibbleIsInvalid) {
  auto device = open({});
  tunlab::test::Bytes packet = tunlab::test::make_udp_bytes(60);
  packet[0] = 0x55;
  const IoResult result = device->write(packet);
  EXPECT_EQ(result.status, IoStatus::invalid_packet);
  EXPECT_EQ(result.sys_errno, EINVAL);
}

TEST_F(RealDeviceTest, WriteWhileDownIsDeviceDown) {
  auto device = open({});
  device->set_up(false);
  const IoResult result = device->write(tunlab::test::make_udp_bytes(60));
  EXPECT_EQ(result.status, IoStatus::device_down);
  EXPECT_EQ(result.sys_errno, EIO);
  device->set_up(true);
  EXPECT_EQ(device->write(tunlab::test::make_udp_bytes(60)).status, IoStatus::ok);
}

TEST_F(RealDeviceTest, SecondAttachToASingleQueueDeviceIsBusy) {
  auto device = open({});
  try {
    open({}, false);
    FAIL() << "a second TUNSETIFF on a single-queue device succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EBUSY);
    EXPECT_NE(std::string(e.what()).find("TUNSETIFF"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tun0"), std::string::npos) << e.what();
  }
}

TEST_F(RealDeviceTest, DeviceVanishesWhenItsLastFdCloses) {
  auto device = open({});
  ASSERT_TRUE(link_exists(*ns_, "tun0"));
  device.reset();
  EXPECT_FALSE(link_exists(*ns_, "tun0"));
}

TEST_F(RealDeviceTest, TapFramesCarryAnEthernetHeader) {
  TunOptions options;
  options.name = "tap0";
  options.kind = DeviceKind::tap;
  auto device = open(options);
  EXPECT_EQ(device->kind(), DeviceKind::tap);
  // Nothing answers ARP on tap0, so the stack's first frame for 10.9.0.2 is an ARP request.
  send_from_stack(20);
  ASSERT_TRUE(wait_readable(device->poll_fd()));
  Packet frame;
  ASSERT_EQ(device->read(frame).status, IoStatus::ok);
  ASSERT_GE(frame.size(), 42u);
  EXPECT_EQ(frame[12], 0x08);
  EXPECT_EQ(frame[13], 0x06) << "expected an ARP request for 10.9.0.2";
}

// read(2)/readv(2) and write(2)/writev(2) calls this process has made (/proc/self/io).
std::pair<long, long> read_write_syscalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  long value = 0;
  long reads = -1;
  long writes = -1;
  while (io >> key >> value) {
    reads = key == "syscr:" ? value : reads;
    writes = key == "syscw:" ? value : writes;
  }
  return {reads, writes};
}

// What reading /proc/self/io itself adds between two read_write_syscalls().
std::pair<long, long> measuring_cost() {
  const auto a = read_write_syscalls();
  const auto b = read_write_syscalls();
  return {b.first - a.first, b.second - a.second};
}

TEST_F(RealDeviceTest, BatchedIoReadsAndWritesPacketsInOrderWithoutASystemCallEach) {
  auto device = open({});
  ASSERT_TRUE(device->capabilities().batched_io) << device->batched_io_note();
  constexpr std::size_t kPackets = 40;
  for (std::size_t i = 0; i < kPackets; ++i) {
    send_from_stack(20, static_cast<std::uint16_t>(41000 + i));
  }
  std::vector<Packet> packets(64);
  std::vector<IoResult> results(64);
  std::vector<std::uint16_t> ports;
  const auto cost = measuring_cost();
  const auto before = read_write_syscalls();
  bool empty = false;
  for (int round = 0; round < 100 && !empty; ++round) {
    const std::size_t n = device->read_many(packets, results);
    for (std::size_t i = 0; i < n; ++i) {
      if (results[i].status == IoStatus::would_block) {
        empty = true;
        continue;
      }
      ASSERT_EQ(results[i].status, IoStatus::ok) << to_string(results[i].status);
      ports.push_back(static_cast<std::uint16_t>(packets[i][20] << 8 | packets[i][21]));
    }
  }
  const auto after_reads = read_write_syscalls();
  ASSERT_TRUE(empty);
  ASSERT_EQ(ports.size(), kPackets);
  for (std::size_t i = 0; i < kPackets; ++i) {
    EXPECT_EQ(ports[i], 41000 + i) << "packet " << i;
  }
  // Batches of 2, 4, 8, ... reads, each one io_uring_enter: no readv of its own.
  EXPECT_EQ(after_reads.first - before.first, cost.first) << "read system calls for " << kPackets << " packets";

  NsSocket receiver(*ns_, SOCK_DGRAM, 0);
  receiver.bind_to(kTunAddress, 5001);
  std::vector<Packet> out;
  for (std::size_t i = 0; i < kPackets; ++i) {
    tunlab::test::IpSpec spec;
    spec.src = kPeer;
    spec.dst = kTunAddress;
    spec.payload_seed = static_cast<std::uint32_t>(i);
    out.emplace_back(tunlab::test::make_udp_bytes(80, spec));
  }
  const auto before_writes = read_write_syscalls();
  ASSERT_EQ(device->write_many(out, results), out.size());
  const auto after_writes = read_write_syscalls();
  EXPECT_EQ(after_writes.second - before_writes.second, cost.second)
      << "write system calls for " << kPackets << " packets";
  for (std::size_t i = 0; i < kPackets; ++i) {
    ASSERT_TRUE(results[i].ok()) << "packet " << i << ": " << to_string(results[i].status);
    EXPECT_EQ(results[i].bytes, out[i].size());
    ASSERT_TRUE(wait_readable(receiver.fd()));
    const auto got = receiver.try_recv();
    ASSERT_TRUE(got);
    EXPECT_TRUE(tunlab::test::bytes_equal(out[i].bytes().subspan(28), *got)) << "packet " << i << " out of order";
  }
}

TEST_F(RealDeviceTest, WithoutBatchedIoTheBatchCallsReadAndWriteOneByOne) {
  TunOptions options;
  options.batched_io = false;
  auto device = open(options);
  EXPECT_FALSE(device->capabilities().batched_io);
  send_from_stack(20, 41000);
  send_from_stack(20, 41001);
  std::vector<Packet> packets(8);
  std::vector<IoResult> results(8);
  const auto cost = measuring_cost();
  const auto before = read_write_syscalls();
  ASSERT_EQ(device->read_many(packets, results), 3u);
  EXPECT_EQ(read_write_syscalls().first - before.first - cost.first, 3) << "two packets and the read that found none";
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_EQ(results[2].status, IoStatus::would_block);
}

TEST_F(RealDeviceTest, MultiQueueReadsAndWritesInBatchesAcrossQueues) {
  TunOptions options;
  options.queues = 4;
  auto device = open(options);
  ASSERT_EQ(device->queue_count(), 4u);
  EXPECT_NE(device->queue_fd(0), device->queue_fd(3));

  constexpr std::size_t kFlows = 16;
  for (std::size_t i = 0; i < kFlows; ++i) {
    send_from_stack(50, static_cast<std::uint16_t>(41000 + i));
  }
  std::vector<Packet> batch(kFlows + 4);
  std::size_t read = 0;
  EpollDriver driver;
  driver.add(device->poll_fd(), [&](std::int64_t) {
    std::vector<IoResult> results(batch.size() - read);
    const std::size_t got = device->read_many(std::span(batch).subspan(read), results);
    for (std::size_t i = 0; i < got; ++i) {
      read += results[i].ok() ? 1 : 0;
    }
  });
  driver.run_until([&] { return read >= kFlows; }, rt::kDeadline);
  ASSERT_EQ(read, kFlows);
  std::set<std::uint16_t> ports;
  for (std::size_t i = 0; i < kFlows; ++i) {
    ports.insert(static_cast<std::uint16_t>(batch[i][20] << 8 | batch[i][21]));
  }
  EXPECT_EQ(ports.size(), kFlows);

  NsSocket receiver(*ns_, SOCK_DGRAM, 0);
  receiver.bind_to(kTunAddress, 5001);
  std::vector<Packet> out;
  for (std::size_t i = 0; i < 8; ++i) {
    tunlab::test::IpSpec spec;
    spec.src = kPeer;
    spec.dst = kTunAddress;
    spec.payload_seed = static_cast<std::uint32_t>(i);
    out.emplace_back(tunlab::test::make_udp_bytes(80, spec));
  }
  std::vector<IoResult> written(out.size());
  ASSERT_EQ(device->write_many(out, written), out.size());
  std::size_t received = 0;
  EpollDriver rx;
  rx.add(receiver.fd(), [&](std::int64_t) {
    while (receiver.try_recv()) {
      ++received;
    }
  });
  rx.run_until([&] { return received >= out.size(); }, rt::kDeadline);
  EXPECT_EQ(received, out.size());

  // Closing queues one by one: the device lives until the last one closes.
  for (std::size_t q = 0; q + 1 < device->queue_count(); ++q) {
    device->close_queue(q);
  }
  EXPECT_TRUE(link_exists(*ns_, "tun0"));
  device->close_queue(device->queue_count() - 1);
  EXPECT_FALSE(link_exists(*ns_, "tun0"));
}

}  // namespace
}  // namespace tunlab::os
