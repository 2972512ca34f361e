// The simulator's TUN segmentation offloads: the host stack's TSO super-packets into a SimDevice,
// GSO writes out of it cut by the kernel's rules, and the gso_write: einval fault with app B's
// per-segment fallback.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tunlab/harness/faulty_device.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet_builder.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/tcp_offload.hpp"

namespace tunlab::sim {
namespace {

constexpr std::size_t kMss = 1460;  // tun MTU 1500 - 20 - 20
constexpr std::size_t kWrite = 4 * kMss;

Packet tcp_write(std::uint8_t flags = 0x18 /* ACK|PSH */) {
  return build_tcp({.src = Ipv4Address("10.0.0.12"),
                    .dst = Ipv4Address("10.0.0.22"),
                    .src_port = 40000,
                    .dst_port = 80,
                    .seq = 1000,
                    .ack = 77,
                    .flags = flags,
                    .payload_size = kWrite,
                    .id = 7,
                    .df = true});
}

// One host with a tun0 (MTU 1500, 10.0.0.12/24) whose device is tun0's kernel half.
struct OneTun {
  Network network;
  Host& host = network.add_host("h", false);
  std::size_t tun = host.add_interface({"tun0", scenario::InterfaceKind::tun, Ipv4Address("10.0.0.12"), 24, 1500});
  SimDevice& device = network.add_device(host, tun, DeviceKind::tun);
};

bool tcp_checksum_ok(ByteView packet) {
  const auto ip = Ipv4View::parse(packet);
  return internet_checksum(ip->payload(),
                           pseudo_header_sum(ip->src(), ip->dst(), ipproto::kTcp, ip->payload().size())) == 0;
}

TEST(SimOffload, StackHandsATsoCapableTunOneSuperPacket) {
  OneTun t;
  t.device.set_offloads(true);
  t.host.send_from_app(tcp_write());
  Packet read;
  ASSERT_TRUE(t.device.read(read).ok());
  EXPECT_EQ(read.size(), 40 + kWrite);
  EXPECT_EQ(read.offload.gso_type, GsoType::tcpv4);
  EXPECT_EQ(read.offload.segment_size, kMss);
  EXPECT_EQ(read.offload.header_length, 40);
  EXPECT_TRUE(read.offload.needs_checksum);
  EXPECT_EQ(read.offload.checksum_start, 20);
  EXPECT_EQ(read.offload.checksum_offset, 16);
  EXPECT_EQ(t.device.read(read).status, IoStatus::would_block);
  EXPECT_TRUE(t.device.capabilities().offloads.super_packet_reads);
  EXPECT_TRUE(t.device.capabilities().offloads.gso_writes);
}

TEST(SimOffload, WithoutOffloadsTheStackSendsNothingLargerThanTheMtu) {
  OneTun t;
  EXPECT_FALSE(t.device.capabilities().offloads.super_packet_reads);
  t.host.send_from_app(tcp_write());  // DF: EMSGSIZE, as before offloads existed
  Packet read;
  EXPECT_EQ(t.device.read(read).status, IoStatus::would_block);
  Packet no_df = build_tcp({.src = Ipv4Address("10.0.0.12"),
                            .dst = Ipv4Address("10.0.0.22"),
                            .flags = 0x18,
                            .payload_size = kWrite,
                            .df = false});
  t.host.send_from_app(std::move(no_df));
  std::size_t pieces = 0;
  while (t.device.read(read).ok()) {
    ++pieces;
    EXPECT_LE(read.size(), 1500u);
    EXPECT_FALSE(read.offload.is_super_packet());
  }
  EXPECT_EQ(pieces, 4u);  // IP fragments of 1480 bytes of payload each
}

TEST(SimOffload, GsoWriteIsSegmentedByTheKernelsRules) {
  OneTun t;
  t.device.set_offloads(true);
  ASSERT_TRUE(t.network.watch_hop("h-tun0"));
  Packet super = build_tcp({.src = Ipv4Address("10.0.0.22"),
                            .dst = Ipv4Address("10.0.0.12"),
                            .src_port = 80,
                            .dst_port = 40000,
                            .seq = 0xffff'fa00,  // wraps within the write
                            .ack = 5,
                            .flags = 0x19,  // ACK|PSH|FIN
                            .payload_size = kWrite - 100,
                            .id = 0xfffe,  // wraps too
                            .df = true});
  ASSERT_TRUE(describe_tcp4_super_packet(super, 1500));
  ASSERT_TRUE(t.device.write_gso(super).ok());
  t.network.run();
  const std::vector<HopRecord>& seen = t.network.hop_records("h-tun0");
  ASSERT_EQ(seen.size(), 4u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const ByteView bytes(seen[i].bytes);
    const auto ip = Ipv4View::parse(bytes);
    ASSERT_TRUE(ip);
    const auto tcp = TcpView::parse(ip->payload());
    ASSERT_TRUE(tcp);
    const bool last = i + 1 == seen.size();
    EXPECT_EQ(ip->id(), static_cast<std::uint16_t>(0xfffe + i)) << i;
    EXPECT_EQ(ip->total_length(), last ? 40 + kWrite - 100 - 3 * kMss : 40 + kMss) << i;
    EXPECT_TRUE(ip->header_checksum_ok()) << i;
    EXPECT_TRUE(tcp_checksum_ok(bytes)) << i;
    EXPECT_EQ(tcp->seq(), static_cast<std::uint32_t>(0xffff'fa00 + i * kMss)) << i;
    EXPECT_EQ(tcp->flags(), last ? 0x19 : 0x10) << i;  // PSH and FIN only on the last
  }
  EXPECT_EQ(t.host.app_log().datagrams.size(), 4u);  // each reached the stack on its own
}

TEST(SimOffload, GsoWriteRefusedWithoutOffloadsOrWithoutMetadata) {
  OneTun t;
  Packet super = tcp_write(0x10);
  ASSERT_TRUE(describe_tcp4_super_packet(super, 1500));
  EXPECT_EQ(t.device.write_gso(super).status, IoStatus::invalid_packet);
  t.device.set_offloads(true);
  Packet plain = tcp_write(0x10);
  EXPECT_EQ(t.device.write_gso(plain).status, IoStatus::invalid_packet);
}

TEST(SimOffload, EinvalFaultRefusesGsoWritesAndTheEngineWritesSegments) {
  scenario::DeviceFaultSpec refuse;
  refuse.gso_write_einval = true;
  OneTun t;
  t.device.set_offloads(true);
  FaultyDevice faulty(t.device, refuse, Random::derive(1, "device:h.tun0"));
  Packet super = tcp_write(0x10);
  ASSERT_TRUE(describe_tcp4_super_packet(super, 1500));
  const IoResult refused = faulty.write_gso(super);
  EXPECT_EQ(refused.status, IoStatus::invalid_packet);
  EXPECT_EQ(refused.sys_errno, EINVAL);
  EXPECT_TRUE(faulty.write_gso(super).status == IoStatus::invalid_packet);

  // Through the seed tunnel: right's tun refuses, app B falls back, the app reads every byte.
  scenario::Scenario s = scenario::seed_topology(1520);
  for (scenario::TunnelSpec& tunnel : s.tunnels) {
    tunnel.offload = true;
  }
  refuse.host = "right";
  refuse.device = "tun0";
  s.device_faults.push_back(refuse);
  auto network = Network::from_scenario(s, 1);
  Packet write = tcp_write();
  write.origin = network->accounting().inject();
  network->host("left").send_from_app(std::move(write));
  network->run();
  const auto& received = network->host("right").app_log().datagrams;
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].bytes, kWrite);
  std::uint64_t refusals = 0;
  std::uint64_t written = 0;
  for (const auto& [name, value] : network->find_tunnel("right")->counters(network->now())) {
    if (name == "device_gso_write_refusals") refusals = value;
    if (name == "device_packets_written") written = value;
  }
  EXPECT_EQ(refusals, 1u);
  EXPECT_EQ(written, 4u);
  EXPECT_EQ(network->accounting().delivered_count(), 1u);
  EXPECT_EQ(network->accounting().duplicate_deliveries(), 0u);
}

}  // namespace
}  // namespace tunlab::sim
