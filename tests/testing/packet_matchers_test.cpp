// The public packet matchers: each matches what it says, rejects the rest, and explains why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_packets.hpp"
#include "tunlab/testing/packet_matchers.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::testing {
namespace {

using ::testing::AllOf;
using ::testing::Not;

const test::Bytes kInner = test::make_udp_bytes(92, {.dst_port = 9000});
const test::Bytes kOuter = test::wrap_outer(
    kInner, {.src = Ipv4Address("18.12.0.92"), .dst = Ipv4Address("18.13.0.91"), .ttl = 63, .df = true});

std::string explain(const ::testing::Matcher<const test::Bytes&>& m, const test::Bytes& bytes) {
  ::testing::StringMatchResultListener listener;
  m.MatchAndExplain(bytes, &listener);
  return listener.str();
}

TEST(PacketMatchersTest, IpipMatchesOuterAddressesAndTheInnerPacket) {
  EXPECT_THAT(kOuter, IsIpip("18.12.0.92", "18.13.0.91", IsUdpTo("10.0.0.22", 9000)));
  EXPECT_THAT(kOuter, Not(IsIpip("18.12.0.92", "18.13.0.91", IsUdpTo("10.0.0.22", 9001))));
  EXPECT_THAT(kOuter, Not(IsIpipPacket("18.12.0.1", "18.13.0.91")));
  EXPECT_THAT(kInner, Not(IsIpipPacket("18.12.0.92", "18.13.0.91")));
  EXPECT_EQ(explain(IsIpipPacket("18.12.0.1", "18.13.0.91"), kOuter),
            "whose outer addresses are 18.12.0.92 -> 18.13.0.91");
  EXPECT_EQ(explain(IsIpipPacket("18.12.0.92", "18.13.0.91"), kInner), "whose protocol is 17");
}

TEST(PacketMatchersTest, HeaderFieldMatchersSayWhatTheySaw) {
  EXPECT_THAT(kOuter, AllOf(HasTtl(63), HasDf(true), HasTos(0)));
  EXPECT_THAT(kOuter, Not(HasTtl(64)));
  EXPECT_EQ(explain(HasTtl(64), kOuter), "whose TTL is 63");
  EXPECT_THAT(Packet(kOuter), HasDf(true)) << "a Packet works as well as a byte vector";
}

TEST(PacketMatchersTest, IcmpErrorChecksTypeCodeAndMtu) {
  const Packet frag_needed =
      build_icmp_error(Ipv4Address("10.0.0.12"), Ipv4Address("10.0.0.12"), icmp::kDestUnreachable, icmp::kFragNeeded,
                       1480, test::make_udp_bytes(1500, {.df = true}));
  EXPECT_THAT(frag_needed, IsIcmpError(icmp::kDestUnreachable, icmp::kFragNeeded, 1480));
  EXPECT_THAT(frag_needed, IsIcmpError(icmp::kDestUnreachable, icmp::kFragNeeded, 0));
  EXPECT_THAT(frag_needed, Not(IsIcmpError(icmp::kDestUnreachable, icmp::kFragNeeded, 1380)));
  EXPECT_THAT(frag_needed, Not(IsIcmpError(icmp::kTimeExceeded, icmp::kTtlExceeded, 0)));
  EXPECT_THAT(kInner, Not(IsIcmpError(icmp::kDestUnreachable, icmp::kFragNeeded, 0)));
}

}  // namespace
}  // namespace tunlab::testing
