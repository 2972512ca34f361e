// tunlab diff's comparison: what normalisation forgives (IDs, checksums, echo identifiers, ARP,
// timestamps) and what it must still report (any other byte, a missing packet or capture).
#include <gtest/gtest.h>

#include <filesystem>

#include "test_packets.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/capture/capture_diff.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab {
namespace {

namespace fs = std::filesystem;

class CaptureDiffTest : public ::testing::Test {
protected:
  void SetUp() override {
    root_ = fs::path(TUNLAB_BINARY_DIR) / "capture-diff-test" /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
  }
  // Writes one RAW capture named `name` holding `packets` into root_/dir.
  fs::path write(const std::string& dir, const std::string& name, const std::vector<test::Bytes>& packets,
                 std::int64_t time_offset = 0) {
    CaptureSet set;
    const std::size_t capture = set.open(name, LinkType::raw);
    for (std::size_t i = 0; i < packets.size(); ++i) {
      set.record(capture, time_offset + static_cast<std::int64_t>(i) * 1000, packets[i]);
    }
    set.write_to(root_ / dir);
    return root_ / dir;
  }
  fs::path root_;
};

TEST_F(CaptureDiffTest, ForgivesIdsChecksumsAndTimestamps) {
  const auto a = write("a", "left-tun0", {test::make_udp_bytes(60, {.id = 1}), test::make_udp_bytes(80, {.id = 2})});
  const auto b = write("b", "left-tun0", {test::make_udp_bytes(60, {.id = 77}), test::make_udp_bytes(80, {.id = 78})},
                       /*time_offset=*/5'000'000);
  EXPECT_TRUE(diff_capture_dirs(a, b).empty());
}

TEST_F(CaptureDiffTest, ForgivesTheEchoIdentifierButNotTheSequence) {
  auto echo = [](std::uint16_t ident, std::uint16_t sequence) {
    return build_icmp_echo(
               {.src = Ipv4Address("10.0.0.12"), .dst = Ipv4Address("10.0.0.22"), .ident = ident, .sequence = sequence})
        .to_vector();
  };
  EXPECT_TRUE(diff_capture_dirs(write("a", "x", {echo(1, 1)}), write("b", "x", {echo(999, 1)})).empty());
  EXPECT_EQ(diff_capture_dirs(write("c", "x", {echo(1, 1)}), write("d", "x", {echo(1, 2)})).size(), 1u);
}

TEST_F(CaptureDiffTest, ReportsAnyOtherByteWithThePacketNumber) {
  const auto a = write("a", "wan-right", {test::make_udp_bytes(60), test::make_udp_bytes(60, {.ttl = 64})});
  const auto b = write("b", "wan-right", {test::make_udp_bytes(60), test::make_udp_bytes(60, {.ttl = 63})});
  const auto differences = diff_capture_dirs(a, b);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0].capture, "wan-right");
  EXPECT_EQ(differences[0].what, "IPv4 packet 2: byte 8: 0x40 vs 0x3f");
}

TEST_F(CaptureDiffTest, NormalisesInsideIpipButComparesTheInnerTtl) {
  const test::Bytes inner = test::make_udp_bytes(60, {.id = 5});
  const test::Bytes other_id = test::make_udp_bytes(60, {.id = 6});
  EXPECT_EQ(normalise_ipv4(test::wrap_outer(inner, {.id = 1})), normalise_ipv4(test::wrap_outer(other_id, {.id = 2})));
  EXPECT_NE(normalise_ipv4(test::wrap_outer(inner)),
            normalise_ipv4(test::wrap_outer(test::make_udp_bytes(60, {.ttl = 9}))));
}

TEST_F(CaptureDiffTest, NormalisesInsideIpInUdpButComparesTheInnerTtl) {
  const test::Bytes inner = test::make_udp_bytes(60, {.id = 5});
  const test::Bytes other_id = test::make_udp_bytes(60, {.id = 6});
  EXPECT_EQ(normalise_ipv4(test::wrap_udp(inner, 5555, {.id = 1})),
            normalise_ipv4(test::wrap_udp(other_id, 5555, {.id = 2})));
  EXPECT_NE(normalise_ipv4(test::wrap_udp(inner, 5555)),
            normalise_ipv4(test::wrap_udp(test::make_udp_bytes(60, {.ttl = 9}), 5555)));
}

TEST_F(CaptureDiffTest, ReportsMissingPacketsAndCaptures) {
  const auto a = write("a", "left-eth0", {test::make_udp_bytes(60), test::make_udp_bytes(70)});
  const auto b = write("b", "left-eth0", {test::make_udp_bytes(60)});
  write("a", "right-eth0", {test::make_udp_bytes(60)});
  const auto differences = diff_capture_dirs(a, b);
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0].what, "2 IPv4 packets vs 1");
  EXPECT_EQ(differences[1].capture, "right-eth0");
  EXPECT_EQ(differences[1].what, "only in " + a.string());
}

TEST_F(CaptureDiffTest, ForgivesInterleavingAcrossFlowsButNotOrderWithinOne) {
  const test::Bytes request = test::make_udp_bytes(60, {.dst_port = 9000});
  const test::Bytes next_request = test::make_udp_bytes(60, {.dst_port = 9001});
  const test::Bytes reply =
      test::make_udp_bytes(60, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")});
  // Link delays decide whether the reply comes before or after the next request.
  EXPECT_TRUE(diff_capture_dirs(write("a", "x", {request, next_request, reply}),
                                write("b", "x", {request, reply, next_request}))
                  .empty());
  const auto swapped = diff_capture_dirs(write("c", "x", {request, next_request, reply}),
                                         write("d", "x", {next_request, request, reply}));
  ASSERT_EQ(swapped.size(), 1u);
  EXPECT_EQ(swapped[0].what.rfind("IPv4 packet 1: ", 0), 0u) << swapped[0].what;
}

TEST_F(CaptureDiffTest, IgnoreOrderForgivesOrderWithinAFlowButNotALostDuplicatedOrCorruptedPacket) {
  const test::Bytes first = test::make_udp_bytes(60, {.dst_port = 9000});
  const test::Bytes second = test::make_udp_bytes(60, {.dst_port = 9001});
  test::Bytes corrupted = second;
  corrupted[40] ^= 0x04;
  DiffOptions unordered;
  unordered.ignore_order = true;
  // A held-back packet leaves after the next one: the same packets, in another order.
  EXPECT_TRUE(diff_capture_dirs(write("a", "x", {first, second}), write("b", "x", {second, first}), unordered).empty());
  EXPECT_EQ(diff_capture_dirs(write("c", "x", {first, second}), write("d", "x", {second, first})).size(), 1u);
  // Lost, duplicated or corrupted packets still differ.
  EXPECT_FALSE(diff_capture_dirs(write("e", "x", {first, second}), write("f", "x", {second}), unordered).empty());
  EXPECT_FALSE(
      diff_capture_dirs(write("g", "x", {first, second}), write("h", "x", {second, first, first}), unordered).empty());
  EXPECT_FALSE(
      diff_capture_dirs(write("i", "x", {first, second}), write("j", "x", {corrupted, first}), unordered).empty());
}

TEST_F(CaptureDiffTest, ReportsAPacketThatMovedToAnotherFlow) {
  const test::Bytes forward = test::make_udp_bytes(60);
  const test::Bytes backward =
      test::make_udp_bytes(60, {.src = Ipv4Address("10.0.0.22"), .dst = Ipv4Address("10.0.0.12")});
  const auto differences =
      diff_capture_dirs(write("a", "x", {forward, forward, backward}), write("b", "x", {forward, backward, backward}));
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0].what, "flow 10.0.0.12 > 10.0.0.22: 2 IPv4 packets vs 1");
}

TEST_F(CaptureDiffTest, ComparesTheTosOfIcmpErrorsToo) {
  const test::Bytes quoted = test::wrap_outer(test::make_udp_bytes(60));
  auto error = [&](std::uint8_t tos) {
    Packet p = build_icmp_error(Ipv4Address("18.12.0.1"), Ipv4Address("18.12.0.92"), 11, 0, 0, quoted);
    ipv4_edit::set_tos(p.mutable_bytes(), tos);
    return p.to_vector();
  };
  // The simulated stacks send their errors with precedence 6, as Linux does: nothing to forgive.
  EXPECT_NE(normalise_ipv4(error(0x00)), normalise_ipv4(error(0xc0)));
  EXPECT_EQ(normalise_ipv4(error(0xc0)), normalise_ipv4(error(0xc0)));
}

}  // namespace
}  // namespace tunlab
