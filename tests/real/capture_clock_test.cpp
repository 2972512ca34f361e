// A real capture's clock: frames the kernel stamped out of order (a microsecond apart, on two
// CPUs) still make a pcap that tunlab's own reader takes, in the order the capture saw them.
#include <cstdint>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "tunlab/capture/capture.hpp"
#include "tunlab/real/packet_capture.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::real {
namespace {

TEST(CaptureClock, AFrameStampedBeforeThePreviousOneKeepsThePreviousTime) {
  const std::int64_t start = 1'700'000'000'000'000'000;
  // Seen in this order on wan-left in a real run: the second frame's stamp is 1 µs earlier.
  const std::vector<std::int64_t> stamps{start + 5'000, start + 9'000, start + 8'000, start + 12'000};
  std::vector<std::int64_t> offsets;
  std::int64_t previous = 0;
  for (const std::int64_t stamp : stamps) {
    CapturedFrame frame;
    frame.realtime_ns = stamp;
    previous = capture_offset_ns(frame, start, previous);
    offsets.push_back(previous);
  }
  EXPECT_EQ(offsets, (std::vector<std::int64_t>{5'000, 9'000, 9'000, 12'000}));

  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tunlab-capture-clock-test";
  std::filesystem::remove_all(dir);
  CaptureSet captures;
  const std::size_t index = captures.open("wan-left", LinkType::raw);
  UdpSpec spec;
  spec.src = Ipv4Address("10.0.0.12");
  spec.dst = Ipv4Address("10.0.0.22");
  spec.src_port = 40000;
  spec.dst_port = 9000;
  spec.payload_size = 8;
  const Packet udp = build_udp(spec);
  for (const std::int64_t at : offsets) {
    captures.record(index, at, udp.bytes());
  }
  const auto written = captures.write_to(dir);
  const std::vector<PcapRecord> read = read_ipv4_pcap(written.at("wan-left"), NonIpv4Frames::skip);
  ASSERT_EQ(read.size(), 4u);
  EXPECT_EQ(read[2].time_ns, read[1].time_ns);
  std::filesystem::remove_all(dir);
}

TEST(CaptureClock, NothingBeforeTheRunStarts) {
  CapturedFrame early;
  early.realtime_ns = 100;
  EXPECT_EQ(capture_offset_ns(early, 1'000, 0), 0);
}

}  // namespace
}  // namespace tunlab::real
