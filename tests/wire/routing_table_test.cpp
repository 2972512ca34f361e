// Longest-prefix match, with ties going to the route added first.
#include <gtest/gtest.h>

#include "tunlab/wire/routing_table.hpp"

namespace tunlab {
namespace {

TEST(RoutingTableTest, PicksTheLongestMatchingPrefix) {
  RoutingTable table;
  table.add(Ipv4Address("0.0.0.0"), 0, 0, Ipv4Address("18.12.0.1"));
  table.add(Ipv4Address("10.0.0.0"), 8, 1);
  table.add(Ipv4Address("10.0.0.0"), 24, 2);
  table.add(Ipv4Address("10.0.0.22"), 32, 3);
  EXPECT_EQ(table.lookup(Ipv4Address("10.0.0.22"))->interface, 3u);
  EXPECT_EQ(table.lookup(Ipv4Address("10.0.0.23"))->interface, 2u);
  EXPECT_EQ(table.lookup(Ipv4Address("10.9.0.1"))->interface, 1u);
  const Route* fallback = table.lookup(Ipv4Address("18.13.0.91"));
  ASSERT_NE(fallback, nullptr);
  EXPECT_EQ(fallback->interface, 0u);
  EXPECT_EQ(fallback->gateway, Ipv4Address("18.12.0.1"));
}

TEST(RoutingTableTest, IgnoresHostBitsOfThePrefix) {
  RoutingTable table;
  table.add(Ipv4Address("10.0.0.77"), 24, 4);
  EXPECT_EQ(table.lookup(Ipv4Address("10.0.0.1"))->interface, 4u);
  EXPECT_EQ(table.lookup(Ipv4Address("10.0.1.1")), nullptr);
}

TEST(RoutingTableTest, EqualPrefixesGoToTheRouteAddedFirst) {
  RoutingTable table;
  table.add(Ipv4Address("18.13.0.0"), 24, 7);
  table.add(Ipv4Address("18.13.0.0"), 24, 8);
  EXPECT_EQ(table.lookup(Ipv4Address("18.13.0.91"))->interface, 7u);
}

TEST(RoutingTableTest, RemovingAnInterfaceRemovesItsRoutes) {
  RoutingTable table;
  table.add(Ipv4Address("10.0.0.0"), 24, 1);
  table.add(Ipv4Address("0.0.0.0"), 0, 0);
  table.remove_interface(1);
  EXPECT_EQ(table.lookup(Ipv4Address("10.0.0.22"))->interface, 0u);
  EXPECT_EQ(table.routes().size(), 1u);
}

TEST(RoutingTableTest, AnEmptyTableHasNoRoute) {
  EXPECT_EQ(RoutingTable{}.lookup(Ipv4Address("1.2.3.4")), nullptr);
}

}  // namespace
}  // namespace tunlab
