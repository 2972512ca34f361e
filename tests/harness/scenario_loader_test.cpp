// Scenario loader: a full file parses into exactly the expected model; every class of mistake is
// one "FILE:LINE:COL: FIELD: what" line at the right place; no prefix or mutation of a valid file
// escapes as anything but InputError.
#include "tunlab/scenario/scenario_loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "tunlab/scenario/input_error.hpp"

namespace tunlab::scenario {
namespace {

namespace fs = std::filesystem;

// A folder per test binary holding the fixture a replay entry names.
fs::path test_folder() {
  static const fs::path folder = [] {
    const fs::path dir = fs::path(::testing::TempDir()) / "scenario_loader_test";
    fs::create_directories(dir / "fixtures");
    std::ofstream(dir / "fixtures" / "tiny.pcap") << "not read by the loader";
    return dir;
  }();
  return folder;
}

// Every field of the model, one per line, so a mismatch shows up as a readable diff.
std::string dump(const HeaderMatch& m) {
  std::string out;
  const auto opt = [&](const char* name, const auto& v) {
    if (v) out += fmt::format(" {}={}", name, *v);
  };
  if (m.src) out += " src=" + m.src->to_string();
  if (m.dst) out += " dst=" + m.dst->to_string();
  opt("proto", m.protocol);
  opt("ttl", m.ttl);
  opt("tos", m.tos);
  opt("ecn", m.ecn);
  opt("dscp", m.dscp);
  opt("df", m.df);
  opt("length", m.total_length);
  opt("dst_port", m.dst_port);
  opt("icmp_type", m.icmp_type);
  opt("icmp_code", m.icmp_code);
  opt("icmp_mtu", m.icmp_mtu);
  return out;
}

template <typename T>
std::string opt(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "-";
}

std::string dump(const Scenario& s) {
  std::ostringstream o;
  o << "name=" << s.name << " description=" << s.description << " file=" << s.file.string()
    << " topology=" << s.topology << " seed=" << s.seed << " real=" << s.real << " run_until=" << s.run_until_ns
    << "\n";
  for (const HostSpec& h : s.hosts) {
    o << "host " << h.name << " forwarding=" << h.forwarding
      << " listen=" << fmt::format("{}", fmt::join(h.udp_listen, ",")) << "\n";
    for (const InterfaceSpec& i : h.interfaces) {
      o << "  iface " << i.name << " kind=" << static_cast<int>(i.kind) << " " << i.address.to_string() << "/"
        << int{i.prefix_length} << " mtu=" << i.mtu << "\n";
    }
    for (const RouteSpec& r : h.routes) {
      o << "  route " << r.prefix.to_string() << "/" << int{r.prefix_length} << " dev=" << r.device
        << " via=" << (r.via ? r.via->to_string() : "-") << "\n";
    }
  }
  for (const LinkSpec& l : s.links) {
    o << "link " << l.a.describe() << "<->" << l.b.describe() << " mtu=" << l.mtu << " delay=" << l.delay_ns
      << " queue=" << l.queue_packets << " rate=" << l.rate_bps << "\n";
  }
  for (const TunnelSpec& t : s.tunnels) {
    const TunnelConfig& c = t.config;
    o << "tunnel " << t.host << "." << t.device << " local=" << c.local.to_string()
      << " remote=" << c.remote.to_string() << " inner=" << c.inner_address.to_string()
      << " ttl_mode=" << static_cast<int>(c.ttl_mode) << " ttl=" << int{c.ttl}
      << " tos_mode=" << static_cast<int>(c.tos_mode) << " tos=" << int{c.tos}
      << " ecn=" << static_cast<int>(c.ecn_mode) << " pmtudisc=" << c.pmtudisc << " underlay=" << c.underlay_mtu
      << " expiry=" << c.pmtu_expiry_ns << " martian=" << c.reject_martian_inner << "\n";
  }
  for (const LinkFaultSpec& f : s.link_faults) {
    o << "link-fault " << f.from.describe() << " loss=" << f.loss << " dup=" << f.duplicate << " reorder=" << f.reorder
      << " reorder_delay=" << f.reorder_delay_ns << " jitter=" << f.jitter_ns << " corrupt=" << f.corrupt
      << " drop_nth=" << fmt::format("{}", fmt::join(f.drop_nth, ","))
      << " corrupt_nth=" << fmt::format("{}", fmt::join(f.corrupt_nth, ",")) << " @" << f.place.describe() << "\n";
  }
  for (const DeviceFaultSpec& f : s.device_faults) {
    o << "device-fault " << f.host << "." << f.device << " eagain=" << f.eagain << " read_buffer=" << f.read_buffer
      << " queue_limit=" << f.queue_limit << " down=" << opt(f.down_at_ns) << " up=" << opt(f.up_at_ns) << " @"
      << f.place.describe() << "\n";
  }
  for (const LinkChangeSpec& c : s.link_changes) {
    o << "change at=" << c.at_ns << " " << c.link.describe() << " mtu=" << opt(c.mtu) << " up=" << opt(c.up) << " @"
      << c.place.describe() << "\n";
  }
  for (const TrafficSpec& t : s.traffic) {
    o << "traffic kind=" << static_cast<int>(t.kind) << " at=" << t.at_ns << " from=" << t.from
      << " src=" << (t.src_set ? t.src.to_string() : "-") << " dst=" << t.dst.to_string() << " ports=" << t.src_port
      << ">" << t.dst_port << " size=" << t.size << " df=" << t.df << " tos=" << int{t.tos} << " ttl=" << int{t.ttl}
      << " flags=" << int{t.tcp_flags} << " count=" << t.count << " interval=" << t.interval_ns
      << " raw=" << fmt::format("{:02x}", fmt::join(t.raw, "")) << " replay=" << t.replay.string() << " @"
      << t.place.describe() << "\n";
  }
  for (const Expectation& e : s.expectations) {
    o << "expect kind=" << static_cast<int>(e.kind) << " name=" << e.name << " host=" << e.host
      << " port=" << opt(e.port) << " count=" << opt(e.count) << " at_least=" << opt(e.at_least)
      << " bytes=" << opt(e.bytes) << " icmp=" << opt(e.icmp_type) << "/" << opt(e.icmp_code) << "/" << opt(e.icmp_mtu)
      << " hop=" << e.hop << " outer={" << dump(e.outer) << " } inner={" << dump(e.inner) << " } drops={";
    for (const auto& [reason, n] : e.drops) {
      o << " " << to_string(reason) << "=" << n;
    }
    o << " } total=" << opt(e.dropped_total) << " delivered=" << opt(e.delivered) << " injected=" << opt(e.injected)
      << " @" << e.place.describe() << "\n";
  }
  return o.str();
}

// The 1-based place of the first occurrence of `needle` in `text`, as the loader should report it.
SourcePlace place_of(const std::string& text, const std::string& file, const std::string& needle) {
  const std::size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  const std::size_t line_start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  const auto line =
      static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;
  return SourcePlace{file, line, static_cast<int>(at - line_start) + 1};
}

const std::string kFull = R"(# every section once
name: full-example
description: "every section, every field"
topology: seed
wan_mtu: 1400
seed: 0x2a
real: true
run_until: 1.5s
hosts:
  - name: extra
    forwarding: true
    interfaces:
      - {name: eth0, address: 18.14.0.5/24, mtu: 9000}
      - {name: tap0, kind: tap, address: 10.1.0.1}
    routes:
      - {to: 10.1.0.0/24, dev: tap0}
      - {to: default, via: 18.14.0.1, dev: eth0}
      - {to: 18.14.0.7, dev: eth0}
    listen: [9000, 0x2329]
  - name: peer
    interfaces: [{name: eth0, kind: ethernet, address: 18.14.0.7/24}]
links:
  - {between: [wan.left, left.eth0], mtu: 1300, delay: 250us, queue: 100, rate: 10mbit}
  - {between: [extra.eth0, peer.eth0], rate: 1.5gbit, delay: 0}
tunnels:
  - {host: left, ttl: inherit, tos: 0x10, ecn: compat, pmtudisc: true, pmtu_expiry: 30s}
  - {host: extra, device: tap0, local: 18.14.0.5, remote: 18.14.0.7, ttl: 17, reject_martian_inner: false}
faults:
  - {link: wan.right, loss: 0.01, duplicate: 0.001, reorder: 0.02, reorder_delay: 3ms, jitter: 1ms, corrupt: 0.5, drop_nth: [3, 9], corrupt_nth: [5]}
  - {device: right.tun0, eagain: 0.1, read_buffer: 100, queue_limit: 10, down_at: 5ms, up_at: 10ms}
changes:
  - {at: 10ms, link: right.eth0, mtu: 1300}
  - {at: 20ms, link: wan.right, up: false}
traffic:
  - {at: 0ms, from: left, udp: {dst: "10.0.0.22:9000", size: 1450, df: true, tos: 0x02, ttl: 9, src: 10.0.0.12, src_port: 40001}, count: 10, interval: 100ns}
  - {at: 1ms, from: left, ping: {dst: 10.0.0.22, size: 56}, count: 3}
  - {from: right, tcp: {dst: "10.0.0.12:80", flags: "SYN|ACK", size: 0}}
  - {from: wan, raw: "45000014 00000000 40000000 12130001 121300 5b"}
  - {at: 5ms, replay: fixtures/tiny.pcap}
expect:
  - {at: right.app, port: 9000, received: 10, bytes: 640}
  - {at: left.app, icmp: {type: 3, code: 4, mtu: 1480}, count: 1}
  - {at: left.app, echo_replies: 3, name: "three pongs"}
  - {hop: left-eth0, count: 10, outer: {src: 18.12.0.92, dst: 18.13.0.91, proto: ipip, ttl: 64, tos: 0, ecn: 2, dscp: 0, df: true, length: 84}, inner: {src: 10.0.0.12, dst: 10.0.0.22, proto: 17, dst_port: 9000, icmp_type: 3, icmp_code: 4, icmp_mtu: 1480}}
  - {hop: wan-right, at_least: 2}
  - {dropped: {encap-too-big-df: 1, link-loss: 0}}
  - {dropped: {total: 0}}
  - {delivered: 10, injected: 11}
  - {at: right.app, port: 9000, in_order: true}
  - {at: left.app, at_least: 1}
  - {at: left.app, icmp: {type: 11}}
)";

TEST(ScenarioLoader, FullExampleParsesIntoExactlyTheExpectedModel) {
  const fs::path file = test_folder() / "full.yaml";
  const std::string f = file.string();
  const Scenario actual = load_scenario_text(kFull, file);

  Scenario e = seed_topology(1400);
  e.name = "full-example";
  e.description = "every section, every field";
  e.file = file;
  e.seed = 42;
  e.real = true;
  e.run_until_ns = 1'500'000'000;
  e.hosts.push_back(
      HostSpec{.name = "extra",
               .forwarding = true,
               .interfaces = {{"eth0", InterfaceKind::ethernet, Ipv4Address("18.14.0.5"), 24, 1500},  // link sets 1500
                              {"tap0", InterfaceKind::tap, Ipv4Address("10.1.0.1"), 24, 1500}},
               .routes = {{Ipv4Address("10.1.0.0"), 24, "tap0", std::nullopt},
                          {Ipv4Address("0.0.0.0"), 0, "eth0", Ipv4Address("18.14.0.1")},
                          {Ipv4Address("18.14.0.7"), 32, "eth0", std::nullopt}},
               .udp_listen = {9000, 9001}});
  e.hosts.push_back(HostSpec{.name = "peer",
                             .forwarding = false,
                             .interfaces = {{"eth0", InterfaceKind::ethernet, Ipv4Address("18.14.0.7"), 24, 1500}},
                             .routes = {},
                             .udp_listen = {}});
  // The modified seed link keeps its orientation; its MTU reaches both interfaces.
  e.links[0].mtu = 1300;
  e.links[0].delay_ns = 250'000;
  e.links[0].queue_packets = 100;
  e.links[0].rate_bps = 10'000'000;
  e.hosts[0].interfaces[0].mtu = 1300;
  e.hosts[1].interfaces[0].mtu = 1300;
  e.links.push_back(LinkSpec{.a = {"extra", "eth0"},
                             .b = {"peer", "eth0"},
                             .mtu = 1500,
                             .delay_ns = 0,
                             .queue_packets = 0,
                             .rate_bps = 1'500'000'000});
  TunnelConfig& left = e.tunnels[0].config;
  left.ttl_mode = TtlMode::inherit;
  left.tos_mode = TosMode::fixed;
  left.tos = 0x10;
  left.ecn_mode = EcnMode::compat;
  left.pmtudisc = true;
  left.pmtu_expiry_ns = 30'000'000'000;
  left.underlay_mtu = 1300;  // derived from eth0, the route to 18.13.0.91
  TunnelConfig extra;
  extra.local = Ipv4Address("18.14.0.5");
  extra.remote = Ipv4Address("18.14.0.7");
  extra.inner_address = Ipv4Address("10.1.0.1");
  extra.ttl = 17;
  extra.reject_martian_inner = false;
  extra.underlay_mtu = 1500;
  e.tunnels.push_back(TunnelSpec{"extra", "tap0", extra, "ipip", "", "", false});

  LinkFaultSpec lf;
  lf.from = {"wan", "right"};
  lf.loss = 0.01;
  lf.duplicate = 0.001;
  lf.reorder = 0.02;
  lf.reorder_delay_ns = 3'000'000;
  lf.jitter_ns = 1'000'000;
  lf.corrupt = 0.5;
  lf.drop_nth = {3, 9};
  lf.corrupt_nth = {5};
  lf.place = place_of(kFull, f, "{link: wan.right, loss");
  e.link_faults.push_back(lf);
  DeviceFaultSpec df;
  df.host = "right";
  df.device = "tun0";
  df.eagain = 0.1;
  df.read_buffer = 100;
  df.queue_limit = 10;
  df.down_at_ns = 5'000'000;
  df.up_at_ns = 10'000'000;
  df.place = place_of(kFull, f, "{device: right.tun0");
  e.device_faults.push_back(df);
  e.link_changes.push_back(
      LinkChangeSpec{10'000'000, {"right", "eth0"}, 1300, std::nullopt, place_of(kFull, f, "{at: 10ms")});
  e.link_changes.push_back(
      LinkChangeSpec{20'000'000, {"wan", "right"}, std::nullopt, false, place_of(kFull, f, "{at: 20ms")});

  TrafficSpec udp;
  udp.kind = TrafficKind::udp;
  udp.from = "left";
  udp.src = Ipv4Address("10.0.0.12");
  udp.src_set = true;
  udp.dst = Ipv4Address("10.0.0.22");
  udp.src_port = 40001;
  udp.dst_port = 9000;
  udp.size = 1450;
  udp.df = true;
  udp.tos = 2;
  udp.ttl = 9;
  udp.count = 10;
  udp.interval_ns = 100;
  udp.place = place_of(kFull, f, "{at: 0ms, from: left, udp");
  TrafficSpec ping;
  ping.kind = TrafficKind::icmp_echo;
  ping.at_ns = 1'000'000;
  ping.from = "left";
  ping.dst = Ipv4Address("10.0.0.22");
  ping.size = 56;
  ping.count = 3;
  ping.place = place_of(kFull, f, "{at: 1ms, from: left, ping");
  TrafficSpec tcp;
  tcp.kind = TrafficKind::tcp;
  tcp.from = "right";
  tcp.dst = Ipv4Address("10.0.0.12");
  tcp.dst_port = 80;
  tcp.size = 0;
  tcp.tcp_flags = 0x12;
  tcp.place = place_of(kFull, f, "{from: right, tcp");
  TrafficSpec raw;
  raw.kind = TrafficKind::raw;
  raw.from = "wan";
  raw.raw = {0x45, 0, 0, 0x14, 0, 0, 0, 0, 0x40, 0, 0, 0, 0x12, 0x13, 0, 1, 0x12, 0x13, 0, 0x5b};
  raw.dst = Ipv4Address("18.19.0.91");
  raw.place = place_of(kFull, f, "{from: wan, raw");
  TrafficSpec replay;
  replay.kind = TrafficKind::replay;
  replay.at_ns = 5'000'000;
  replay.from = "left";
  replay.replay = test_folder() / "fixtures" / "tiny.pcap";
  replay.place = place_of(kFull, f, "{at: 5ms, replay");
  e.traffic = {udp, ping, tcp, raw, replay};

  // Expectation has many optional fields; set the ones each entry gives, by name.
  const auto expect = [&](ExpectKind kind, const std::string& name, const std::string& needle,
                          const std::function<void(Expectation&)>& set) {
    Expectation x;
    x.kind = kind;
    x.name = name;
    set(x);
    x.place = place_of(kFull, f, needle);
    e.expectations.push_back(x);
  };
  expect(ExpectKind::app_received, "right.app port 9000 received 10 bytes 640", "{at: right.app, port: 9000, received",
         [](Expectation& x) {
           x.host = "right";
           x.port = 9000;
           x.count = 10;
           x.bytes = 640;
         });
  expect(ExpectKind::app_icmp, "left.app ICMP type 3 code 4 mtu 1480 count 1", "{at: left.app, icmp: {type: 3",
         [](Expectation& x) {
           x.host = "left";
           x.count = 1;
           x.icmp_type = 3;
           x.icmp_code = 4;
           x.icmp_mtu = 1480;
         });
  expect(ExpectKind::app_echo_reply, "three pongs", "{at: left.app, echo_replies", [](Expectation& x) {
    x.host = "left";
    x.count = 3;
  });
  expect(ExpectKind::hop,
         "hop left-eth0 count 10 outer {src 18.12.0.92 dst 18.13.0.91 proto 4 ttl 64 tos 0x00 ecn 2 dscp 0 df length "
         "84} inner {src 10.0.0.12 dst 10.0.0.22 proto 17 dst_port 9000 icmp_type 3 icmp_code 4 icmp_mtu 1480}",
         "{hop: left-eth0", [](Expectation& x) {
           x.hop = "left-eth0";
           x.count = 10;
           x.outer.src = Ipv4Address("18.12.0.92");
           x.outer.dst = Ipv4Address("18.13.0.91");
           x.outer.protocol = 4;
           x.outer.ttl = 64;
           x.outer.tos = 0;
           x.outer.ecn = 2;
           x.outer.dscp = 0;
           x.outer.df = true;
           x.outer.total_length = 84;
           x.inner.src = Ipv4Address("10.0.0.12");
           x.inner.dst = Ipv4Address("10.0.0.22");
           x.inner.protocol = 17;
           x.inner.dst_port = 9000;
           x.inner.icmp_type = 3;
           x.inner.icmp_code = 4;
           x.inner.icmp_mtu = 1480;
         });
  expect(ExpectKind::hop, "hop wan-right at least 2", "{hop: wan-right", [](Expectation& x) {
    x.hop = "wan-right";
    x.at_least = 2;
  });
  expect(ExpectKind::dropped, "dropped encap-too-big-df 1 link-loss 0", "{dropped: {encap", [](Expectation& x) {
    x.drops = {{DropReason::encap_too_big_df, 1}, {DropReason::link_loss, 0}};
  });
  expect(ExpectKind::dropped, "dropped total 0", "{dropped: {total", [](Expectation& x) { x.dropped_total = 0; });
  expect(ExpectKind::delivered, "delivered 10 injected 11", "{delivered: 10", [](Expectation& x) {
    x.delivered = 10;
    x.injected = 11;
  });
  expect(ExpectKind::ordering, "right.app port 9000 in order", "{at: right.app, port: 9000, in_order",
         [](Expectation& x) {
           x.host = "right";
           x.port = 9000;
         });
  expect(ExpectKind::app_received, "left.app received at least 1", "{at: left.app, at_least", [](Expectation& x) {
    x.host = "left";
    x.at_least = 1;
  });
  expect(ExpectKind::app_icmp, "left.app ICMP type 11 at least 1", "{at: left.app, icmp: {type: 11",
         [](Expectation& x) {
           x.host = "left";
           x.at_least = 1;
           x.icmp_type = 11;
         });

  EXPECT_EQ(dump(actual), dump(e));
}

TEST(ScenarioLoader, MinimalSeedScenarioIsTheSeedTopology) {
  const Scenario s = load_scenario_text("name: minimal\n", "min.yaml");
  Scenario e = seed_topology(1500);
  e.name = "minimal";
  e.file = "min.yaml";
  EXPECT_EQ(dump(s), dump(e));
}

TEST(ScenarioLoader, CustomTopologyStartsEmpty) {
  const Scenario s = load_scenario_text(R"(
name: two
topology: custom
hosts:
  - {name: a, interfaces: [{name: eth0, address: 192.0.2.1/30}]}
  - {name: b, interfaces: [{name: eth0, address: 192.0.2.2/30, mtu: 1280}]}
links:
  - {between: [a.eth0, b.eth0]}
)",
                                        "two.yaml");
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.topology, "custom");
  EXPECT_TRUE(s.tunnels.empty());
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].mtu, 1280u) << "a new link without mtu takes the smaller interface MTU";
  EXPECT_EQ(s.hosts[0].interfaces[0].mtu, 1280u);
  EXPECT_EQ(s.hosts[0].interfaces[0].prefix_length, 30);
}

TEST(ScenarioLoader, LoweringTheFarWanLinkLeavesTheLeftTunnelAlone) {
  const Scenario s = load_scenario_text(R"(
name: far
links:
  - {between: [right.eth0, wan.right], mtu: 1400}
)",
                                        "far.yaml");
  EXPECT_EQ(s.links[1].mtu, 1400u);
  EXPECT_EQ(s.links[0].mtu, 1500u);
  EXPECT_EQ(s.tunnels[0].config.underlay_mtu, 1500u) << "left learns 1400 from ICMP, not from the file";
  EXPECT_EQ(s.tunnels[1].config.underlay_mtu, 1400u);
}

TEST(ScenarioLoader, UnderlayMtuFollowsTheRouteTheSimulatedStackWouldTakeOnATie) {
  // A route as long as a connected subnet: the stack adds connected routes first and keeps the
  // first on a tie, so packets to 192.0.2.9 leave through eth0 (MTU 1400), not eth1 (1300).
  const Scenario s = load_scenario_text(R"(
name: tie
topology: custom
hosts:
  - name: a
    interfaces:
      - {name: eth0, address: 192.0.2.1/24, mtu: 1400}
      - {name: eth1, address: 198.51.100.1/24, mtu: 1300}
      - {name: tun0, kind: tun, address: 10.9.0.1/24}
    routes:
      - {to: 192.0.2.0/24, dev: eth1}
tunnels:
  - {host: a, device: tun0, local: 192.0.2.1, remote: 192.0.2.9}
)",
                                        "tie.yaml");
  ASSERT_EQ(s.tunnels.size(), 1u);
  EXPECT_EQ(s.tunnels[0].config.underlay_mtu, 1400u);
  const InterfaceSpec* egress = egress_interface(s.hosts[0], Ipv4Address("192.0.2.9"));
  ASSERT_NE(egress, nullptr);
  EXPECT_EQ(egress->name, "eth0");
}

struct ValueCase {
  std::string text;
  Nanos ns;
};
class Durations : public ::testing::TestWithParam<ValueCase> {};
TEST_P(Durations, Parse) {
  const Scenario s = load_scenario_text("name: d\nrun_until: " + GetParam().text + "\n", "d.yaml");
  EXPECT_EQ(s.run_until_ns, GetParam().ns);
}
INSTANTIATE_TEST_SUITE_P(ScenarioLoader, Durations,
                         ::testing::Values(ValueCase{"0", 0}, ValueCase{"100ns", 100}, ValueCase{"250us", 250'000},
                                           ValueCase{"2ms", 2'000'000}, ValueCase{"1.5s", 1'500'000'000},
                                           ValueCase{"0.000000001s", 1}, ValueCase{"86400s", 86'400'000'000'000}));

class Rates : public ::testing::TestWithParam<std::pair<std::string, std::uint64_t>> {};
TEST_P(Rates, Parse) {
  const Scenario s = load_scenario_text(
      "name: r\nlinks: [{between: [left.eth0, wan.left], rate: " + GetParam().first + "}]\n", "r.yaml");
  EXPECT_EQ(s.links[0].rate_bps, GetParam().second);
}
INSTANTIATE_TEST_SUITE_P(ScenarioLoader, Rates,
                         ::testing::Values(std::pair<std::string, std::uint64_t>{"10mbit", 10'000'000},
                                           std::pair<std::string, std::uint64_t>{"1gbit", 1'000'000'000},
                                           std::pair<std::string, std::uint64_t>{"500kbit", 500'000},
                                           std::pair<std::string, std::uint64_t>{"64000", 64'000},
                                           std::pair<std::string, std::uint64_t>{"0x100", 256},
                                           std::pair<std::string, std::uint64_t>{"2.5mbit", 2'500'000}));

// ---- Bad input: the exact place and field of each class of mistake ----------------------------

struct BadCase {
  std::string label;
  std::string yaml;
  std::string prefix;   // "FILE:LINE:COL: FIELD:" (FILE = bad.yaml)
  std::string message;  // a phrase the rest of the line must contain
};
void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.label;
}

class BadScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, ReportsFileLineColumnAndField) {
  const BadCase& c = GetParam();
  const fs::path file = test_folder() / "bad.yaml";
  try {
    load_scenario_text(c.yaml, file);
    FAIL() << "accepted:\n" << c.yaml;
  } catch (const InputError& e) {
    const std::string what = e.what();
    const std::string prefix = (test_folder() / c.prefix).string();
    EXPECT_EQ(what.substr(0, prefix.size()), prefix) << what;
    EXPECT_NE(what.find(c.message), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

const std::string kSeedHead = "name: bad\n";

INSTANTIATE_TEST_SUITE_P(
    ScenarioLoader, BadScenario,
    ::testing::Values(
        // unknown keys, with the allowed ones listed
        BadCase{"UnknownTopLevelKey", "name: x\nlinkz: []\n",
                "bad.yaml:2:1: linkz:", "unknown key 'linkz' (did you mean 'links'?); allowed: name, description"},
        BadCase{"UnknownTrafficKey",
                kSeedHead + "traffic:\n  - {from: left, udp: {dst: \"10.0.0.22:9000\", szie: 3}}\n",
                "bad.yaml:3:47: traffic[0].udp.szie:", "allowed: dst, size, df, tos, ttl, src, src_port"},
        BadCase{"UnknownExpectKeyForKind", kSeedHead + "expect:\n  - {at: right.app, port: 9000, count: 1}\n",
                "bad.yaml:3:33: expect[0].count:", "allowed: name, at, port, received, at_least, bytes"},
        BadCase{"UnknownKeyInMatch", kSeedHead + "expect:\n  - {hop: left-eth0, outer: {protocol: 4}}\n",
                "bad.yaml:3:30: expect[0].outer.protocol:", "allowed: src, dst, proto"},
        BadCase{"UnknownDropReason", kSeedHead + "expect:\n  - dropped:\n      encap-too-big: 1\n",
                "bad.yaml:4:7: expect[0].dropped.encap-too-big:", "did you mean 'encap-too-big-df'?"},
        // wrong types
        BadCase{"NumberExpected", kSeedHead + "traffic:\n  - {from: left, count: abc, udp: {dst: \"10.0.0.22:1\"}}\n",
                "bad.yaml:3:25: traffic[0].count:", "expected a number, got 'abc'"},
        BadCase{"NegativeNumber", kSeedHead + "seed: -1\n", "bad.yaml:2:7: seed:", "expected a number, got '-1'"},
        BadCase{"FractionForInteger", kSeedHead + "wan_mtu: 1400.5\n",
                "bad.yaml:2:10: wan_mtu:", "expected a number, got '1400.5'"},
        BadCase{"BoolExpected", kSeedHead + "real: yes please\n", "bad.yaml:2:7: real:", "expected true or false"},
        BadCase{"ListExpected", kSeedHead + "traffic: {from: left}\n",
                "bad.yaml:2:10: traffic:", "expected a list of traffic, got a mapping"},
        BadCase{"MappingExpected", kSeedHead + "expect:\n  - right.app\n",
                "bad.yaml:3:5: expect[0]:", "expected a mapping describing what to check, got 'right.app'"},
        BadCase{"NullValue", kSeedHead + "description:\n",
                "bad.yaml:2:1: description:", "expected a string, got nothing"},
        BadCase{"ScalarDocument", "just words\n", "bad.yaml:1:1: document:", "expected a mapping of scenario fields"},
        BadCase{"MultipleDocuments", "name: a\n---\nname: b\n", "bad.yaml:3:1: document:", "holds 2 YAML documents"},
        // values out of their domain
        BadCase{"BadAddress", kSeedHead + "traffic:\n  - {from: left, ping: {dst: 10.0.0.256}}\n",
                "bad.yaml:3:30: traffic[0].ping.dst:", "expected an IPv4 address like 10.0.0.1, got '10.0.0.256'"},
        BadCase{"BadEndpoint", kSeedHead + "traffic:\n  - {from: left, udp: {dst: 10.0.0.22}}\n",
                "bad.yaml:3:29: traffic[0].udp.dst:", "expected ADDRESS:PORT"},
        BadCase{"BadPort", kSeedHead + "traffic:\n  - {from: left, udp: {dst: \"10.0.0.22:70000\"}}\n",
                "bad.yaml:3:29: traffic[0].udp.dst:", "port 70000 is out of range 1..65535"},
        BadCase{"BadListenPort", "name: x\nhosts:\n  - {name: h, listen: [0]}\n",
                "bad.yaml:3:24: hosts[0].listen[0]:", "0 is out of range 1..65535"},
        BadCase{"BadPrefixLength",
                kSeedHead + "hosts:\n  - name: h\n    interfaces: [{name: e, address: 10.0.0.1/33}]\n",
                "bad.yaml:4:37: hosts[0].interfaces[0].address:", "expected an address with prefix"},
        BadCase{"PrefixHostBits",
                kSeedHead + "hosts:\n  - name: h\n    interfaces: [{name: e, address: 10.0.0.1/24}]\n    routes: "
                            "[{to: 10.0.0.5/24, dev: e}]\n",
                "bad.yaml:5:19: hosts[0].routes[0].to:", "has host bits set (did you mean 10.0.0.0/24?)"},
        BadCase{"BadDuration", kSeedHead + "run_until: 5 ms\n",
                "bad.yaml:2:12: run_until:", "expected a duration like 0, 250us, 2ms or 1.5s, got '5 ms'"},
        BadCase{"DurationWithoutUnit", kSeedHead + "run_until: 5\n",
                "bad.yaml:2:12: run_until:", "expected a duration"},
        BadCase{"SubNanosecondDuration", kSeedHead + "run_until: 1.5ns\n",
                "bad.yaml:2:12: run_until:", "expected a duration"},
        BadCase{"OverflowingDuration", kSeedHead + "run_until: 99999999999s\n",
                "bad.yaml:2:12: run_until:", "expected a duration"},
        BadCase{"BadRate", kSeedHead + "links: [{between: [left.eth0, wan.left], rate: 10mbps}]\n",
                "bad.yaml:2:48: links[0].rate:", "expected a rate like 10mbit"},
        BadCase{"ProbabilityAboveOne", kSeedHead + "faults:\n  - {link: wan.right, loss: 1.5}\n",
                "bad.yaml:3:29: faults[0].loss:", "expected a probability between 0 and 1, got '1.5'"},
        BadCase{"ProbabilityNan", kSeedHead + "faults:\n  - {link: wan.right, loss: nan}\n",
                "bad.yaml:3:29: faults[0].loss:", "expected a probability"},
        BadCase{"MtuTooSmall", kSeedHead + "wan_mtu: 60\n", "bad.yaml:2:10: wan_mtu:", "60 is out of range 68..65535"},
        BadCase{"TtlZero", kSeedHead + "tunnels: [{host: left, ttl: 0}]\n",
                "bad.yaml:2:29: tunnels[0].ttl:", "0 is out of range 1..255"},
        BadCase{"BadTos", kSeedHead + "tunnels: [{host: left, tos: inherit}]\n",
                "bad.yaml:2:29: tunnels[0].tos:", "expected copy or a TOS byte 0..255, got 'inherit'"},
        BadCase{"BadEnum", kSeedHead + "topology: star\n", "bad.yaml:2:11: topology:", "expected seed or custom"},
        BadCase{"BadName", "name: Seed VPN\n", "bad.yaml:1:7: name:", "'Seed VPN' is not a valid name"},
        BadCase{"BadTcpFlag", kSeedHead + "traffic:\n  - {from: left, tcp: {dst: \"10.0.0.22:80\", flags: SYN|AKC}}\n",
                "bad.yaml:3:52: traffic[0].tcp.flags:", "unknown TCP flag 'AKC'"},
        BadCase{"BadHex", kSeedHead + "traffic:\n  - {from: wan, raw: \"4500zz\"}\n",
                "bad.yaml:3:22: traffic[0].raw:", "'z' at offset 4 is not a hex digit"},
        BadCase{"RawTooShort", kSeedHead + "traffic:\n  - {from: wan, raw: \"4500\"}\n",
                "bad.yaml:3:22: traffic[0].raw:", "not an IPv4 packet"},
        BadCase{"UpBeforeDown", kSeedHead + "faults: [{device: right.tun0, down_at: 5ms, up_at: 5ms}]\n",
                "bad.yaml:2:52: faults[0].up_at:", "up_at must be later than down_at"},
        BadCase{"DscpAbove63", kSeedHead + "expect: [{hop: left-eth0, outer: {dscp: 64}}]\n",
                "bad.yaml:2:41: expect[0].outer.dscp:", "64 is out of range 0..63"},
        BadCase{"EcnAbove3", kSeedHead + "expect: [{hop: left-eth0, inner: {ecn: 4}}]\n",
                "bad.yaml:2:40: expect[0].inner.ecn:", "4 is out of range 0..3"},
        BadCase{"UnknownEcnName", kSeedHead + "expect: [{hop: left-eth0, outer: {ecn: CE}}]\n",
                "bad.yaml:2:40: expect[0].outer.ecn:",
                "expected an ECN codepoint 0..3 or not-ect, ect1, ect0, ce, got 'CE'"},
        BadCase{"EmptyMatch", kSeedHead + "expect: [{hop: left-eth0, outer: {}}]\n",
                "bad.yaml:2:34: expect[0].outer:", "matches every packet"},
        BadCase{"InOrderFalse", kSeedHead + "expect: [{at: right.app, in_order: false}]\n",
                "bad.yaml:2:36: expect[0].in_order:", "only in_order: true"},
        BadCase{"CountAndAtLeast", kSeedHead + "expect: [{hop: left-eth0, count: 1, at_least: 1}]\n",
                "bad.yaml:2:47: expect[0].at_least:", "give count or at_least, not both"},
        BadCase{"MixedExpectation", kSeedHead + "expect: [{hop: left-eth0, dropped: {total: 0}}]\n",
                "bad.yaml:2:10: expect[0]:", "mixes hop and dropped"},
        BadCase{"TwoTrafficKinds",
                kSeedHead + "traffic: [{from: left, ping: {dst: 10.0.0.22}, udp: {dst: \"10.0.0.22:1\"}}]\n",
                "bad.yaml:2:11: traffic[0]:", "not both udp and ping"},
        BadCase{"WanMtuOnCustom", "name: x\ntopology: custom\nwan_mtu: 1400\nhosts: []\n",
                "bad.yaml:3:10: wan_mtu:", "only valid with topology: seed"},
        // references to things that do not exist
        BadCase{"MissingHost", kSeedHead + "traffic:\n  - {from: lfet, ping: {dst: 10.0.0.22}}\n",
                "bad.yaml:3:12: traffic[0].from:", "no host 'lfet' (hosts: left, wan, right)"},
        BadCase{"MissingInterface", kSeedHead + "links:\n  - {between: [left.eth1, wan.left]}\n",
                "bad.yaml:3:16: links[0].between[0]:", "host 'left' has no interface 'eth1' (interfaces: eth0, tun0)"},
        BadCase{"MissingLinkEnd", kSeedHead + "faults:\n  - {link: left.tun0, loss: 0.1}\n",
                "bad.yaml:3:12: faults[0].link:", "left.tun0 is not joined by any link"},
        BadCase{"MissingRouteDevice",
                kSeedHead + "hosts:\n  - name: h\n    interfaces: [{name: e, address: 10.0.0.1/24}]\n    routes: "
                            "[{to: default, dev: eth0}]\n",
                "bad.yaml:5:33: hosts[0].routes[0].dev:", "host 'h' has no interface 'eth0' (interfaces: e)"},
        BadCase{"MissingHop", kSeedHead + "expect: [{hop: left-eth9}]\n",
                "bad.yaml:2:16: expect[0].hop:", "no interface 'left-eth9'"},
        BadCase{"MissingAppHost", kSeedHead + "expect: [{at: middle.app, received: 1}]\n",
                "bad.yaml:2:15: expect[0].at:", "no host 'middle'"},
        BadCase{"MissingFixture", kSeedHead + "traffic:\n  - {replay: fixtures/nope.pcap}\n",
                "bad.yaml:3:14: traffic[0].replay:", "no such file 'fixtures/nope.pcap'"},
        BadCase{"TunnelOnEthernet", kSeedHead + "tunnels: [{host: left, device: eth0}]\n",
                "bad.yaml:2:32: tunnels[0].device:", "left.eth0 is an ethernet interface"},
        BadCase{"LinkOnTun", kSeedHead + "links: [{between: [left.tun0, right.tun0]}]\n",
                "bad.yaml:2:20: links[0].between[0]:", "left.tun0 is a tun interface"},
        BadCase{"LocalNotOurs", kSeedHead + "tunnels: [{host: left, local: 18.13.0.91}]\n",
                "bad.yaml:2:31: tunnels[0].local:", "18.13.0.91 is not an address of host 'left'"},
        BadCase{"InterfaceAlreadyLinked",
                kSeedHead + "hosts: [{name: h, interfaces: [{name: e, address: 1.2.3.4/24}]}]\nlinks: [{between: "
                            "[h.e, wan.left]}]\n",
                "bad.yaml:3:25: links[0].between[1]:", "wan.left is already joined to left.eth0 by a seed link"},
        // YAML syntax
        BadCase{"UnclosedFlow", kSeedHead + "links: [{between: [left.eth0, wan.left]\n",
                "bad.yaml:3:1: yaml:", "end of map flow not found"},
        BadCase{"BadIndentation", "name: x\n  description: y\n", "bad.yaml:2:14: yaml:", "illegal map value"},
        BadCase{"TabIndentation", "name: x\nhosts:\n\t- name: h\n", "bad.yaml:3:", "yaml:"},
        // required fields
        BadCase{"MissingName", "description: nameless\n", "bad.yaml:1:1: name:", "missing required field"},
        BadCase{"MissingTrafficFrom", kSeedHead + "traffic:\n  - {ping: {dst: 10.0.0.22}}\n",
                "bad.yaml:3:5: traffic[0].from:", "missing required field"},
        BadCase{"MissingTrafficKind", kSeedHead + "traffic:\n  - {from: left, count: 2}\n",
                "bad.yaml:3:5: traffic[0].udp:", "missing required field (or ping, tcp, raw, replay)"},
        BadCase{"MissingUdpDst", kSeedHead + "traffic:\n  - {from: left, udp: {size: 3}}\n",
                "bad.yaml:3:23: traffic[0].udp.dst:", "missing required field"},
        BadCase{"MissingCustomHosts", "name: x\ntopology: custom\n", "bad.yaml:1:1: hosts:", "missing required field"},
        BadCase{
            "MissingNewTunnelRemote", kSeedHead + "tunnels: [{host: wan, device: tun9}]\nhosts: []\n",
            "bad.yaml:2:11: tunnels[0].local:", "missing required field (a new tunnel needs device, local and remote)"},
        BadCase{"MissingIcmpType", kSeedHead + "expect: [{at: left.app, icmp: {code: 4}}]\n",
                "bad.yaml:2:31: expect[0].icmp.type:", "missing required field"},
        BadCase{"NothingToCheck", kSeedHead + "expect: [{at: right.app, port: 9000}]\n",
                "bad.yaml:2:10: expect[0].received:", "missing required field (or at_least, bytes)"},
        BadCase{"FaultWithoutTarget", kSeedHead + "faults: [{loss: 0.5}]\n",
                "bad.yaml:2:10: faults[0].link:", "missing required field (or device)"},
        BadCase{"ChangeWithoutChange", kSeedHead + "changes: [{at: 1ms, link: wan.right}]\n",
                "bad.yaml:2:11: changes[0].mtu:", "a change must change something"},
        // duplicates
        BadCase{"DuplicateKey", "name: x\nseed: 1\nseed: 2\n",
                "bad.yaml:3:1: seed:", "duplicate key (first given at line 2)"},
        BadCase{"DuplicateHostWithSeed", kSeedHead + "hosts: [{name: wan}]\n",
                "bad.yaml:2:16: hosts[0].name:", "duplicate host name 'wan' (already a seed topology host)"},
        BadCase{"DuplicateHost", kSeedHead + "hosts:\n  - {name: h}\n  - {name: h}\n",
                "bad.yaml:4:12: hosts[1].name:", "duplicate host name 'h' (already declared at line 3)"},
        BadCase{"DuplicateInterface",
                kSeedHead +
                    "hosts:\n  - name: h\n    interfaces:\n      - {name: e, address: 1.1.1.1}\n      - {name: e, "
                    "address: 1.1.1.2}\n",
                "bad.yaml:6:16: hosts[0].interfaces[1].name:", "duplicate interface name 'e' on host 'h'"},
        BadCase{"DuplicateLink",
                kSeedHead + "links:\n  - {between: [left.eth0, wan.left]}\n  - {between: [wan.left, left.eth0]}\n",
                "bad.yaml:4:15: links[1].between:", "duplicate link wan.left <-> left.eth0 (already at line 3)"},
        BadCase{"DuplicateTunnel", kSeedHead + "tunnels:\n  - {host: left, ttl: 3}\n  - {host: left, ttl: 4}\n",
                "bad.yaml:4:12: tunnels[1].host:", "duplicate tunnel on host 'left' (already at line 3)"},
        BadCase{"DuplicateLinkFault",
                kSeedHead + "faults:\n  - {link: wan.right, loss: 0.1}\n  - {link: wan.right, duplicate: 0.1}\n",
                "bad.yaml:4:12: faults[1].link:", "the fault at line 3 already covers the direction leaving wan.right"},
        // nothing there at all
        BadCase{"EmptyFile", "", "bad.yaml:1:1: document:", "empty scenario file"},
        BadCase{"OnlyComments", "# nothing yet\n\n", "bad.yaml:1:1: document:", "empty scenario file"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.label; });

TEST(ScenarioLoader, UnreadableFileIsAnInputError) {
  const fs::path missing = test_folder() / "does-not-exist.yaml";
  try {
    load_scenario_file(missing);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ":1:1: document: cannot open: No such file or directory");
  }
}

// ---- Robustness: every prefix and many mutations of a valid file --------------------------------

const std::regex kOneLine(R"(^.+:[0-9]+:[0-9]+: [^ ]+: [^\n]+$)");

void expect_success_or_input_error(const std::string& text, const std::string& what_was_fed) {
  try {
    load_scenario_text(text, test_folder() / "fuzz.yaml");
  } catch (const InputError& e) {
    EXPECT_TRUE(std::regex_match(std::string(e.what()), kOneLine)) << e.what() << "\nfor " << what_was_fed;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "escaped " << typeid(e).name() << ": " << e.what() << "\nfor " << what_was_fed;
  }
}

TEST(ScenarioLoaderFuzz, EveryTruncationIsAcceptedOrAnInputError) {
  std::size_t accepted = 0;
  for (std::size_t n = 0; n <= kFull.size(); ++n) {
    try {
      load_scenario_text(kFull.substr(0, n), test_folder() / "fuzz.yaml");
      ++accepted;
    } catch (const InputError& e) {
      EXPECT_TRUE(std::regex_match(std::string(e.what()), kOneLine)) << e.what() << "\nat prefix " << n;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "escaped " << typeid(e).name() << ": " << e.what() << "\nat prefix " << n;
    }
  }
  // Sanity: the loop did exercise both outcomes (the whole file and some line-boundary prefixes load).
  EXPECT_GT(accepted, 1u);
  EXPECT_LT(accepted, kFull.size());
}

TEST(ScenarioLoaderFuzz, SeededByteMutationsAreAcceptedOrAnInputError) {
  std::mt19937 random(20240601);
  static constexpr char kAlphabet[] = "{}[]:,-#&*!|>'\"%@` \n\t0123456789.xazAZ/\\";
  for (int round = 0; round < 2000; ++round) {
    std::string text = kFull;
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int i = 0; i < edits; ++i) {
      const std::size_t at = random() % text.size();
      const char c = kAlphabet[random() % (sizeof(kAlphabet) - 1)];
      switch (random() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(at, 1, c);
          break;
        default:
          text.erase(at, 1);
          break;
      }
    }
    expect_success_or_input_error(text, fmt::format("mutation round {}", round));
  }
}

TEST(ScenarioLoaderFuzz, HostileStructures) {
  for (const std::string& text :
       {std::string(5000, '[') + std::string(5000, ']'), std::string("name: x\nexpect: ") + std::string(3000, '{'),
        std::string("a: &a [*a]\n"), std::string("name: &n x\nseed: *n\n"), std::string("? [name]\n: x\n"),
        std::string("name: x\nhosts: [{name: h, interfaces: [{name: e, address: 1.2.3.4/}]}]\n"),
        std::string("\xef\xbb\xbfname: x\n"), std::string("name: \"\\u0000\"\n"),
        std::string("name: x\r\nseed: 3\r\n")}) {
    expect_success_or_input_error(text, text.substr(0, 40));
  }
}

// ---- Files in the tree -----------------------------------------------------------------------

// tests/bad-scenarios/*.yaml start with "# expect: LINE", LINE naming the file by its bare name
// (how `tunlab check` sees it when run from that folder).
TEST(ScenarioLoaderFiles, BadScenarioFilesGiveTheLineTheyExpect) {
  const fs::path folder = fs::path(TUNLAB_SOURCE_DIR) / "tests" / "bad-scenarios";
  std::size_t checked = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string marker = "# expect: ";
    ASSERT_EQ(first.substr(0, marker.size()), marker) << entry.path();
    const std::string name = entry.path().filename().string();
    std::string expected = first.substr(marker.size());
    ASSERT_EQ(expected.substr(0, name.size() + 1), name + ":") << entry.path();
    expected = entry.path().string() + expected.substr(name.size());
    try {
      load_scenario_file(entry.path());
      ADD_FAILURE() << "accepted " << entry.path();
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
    ++checked;
  }
  EXPECT_GE(checked, 8u) << "one file per class of mistake";
}

TEST(ScenarioLoaderFiles, EveryLibraryScenarioLoads) {
  const fs::path folder = fs::path(TUNLAB_SOURCE_DIR) / "scenarios";
  std::size_t loaded = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".yaml") {
      EXPECT_NO_THROW({
        const Scenario s = load_scenario_file(entry.path());
        EXPECT_EQ(s.name, entry.path().stem().string()) << "a scenario is named after its file";
        EXPECT_FALSE(s.expectations.empty()) << entry.path();
        EXPECT_FALSE(s.description.empty()) << entry.path();
      }) << entry.path();
      ++loaded;
    }
  }
  EXPECT_GE(loaded, 1u);
}

}  // namespace
}  // namespace tunlab::scenario
