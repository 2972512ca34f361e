// The scenario model: what a scenario file says, after parsing and validation. The simulator and
// the real backend both run this model; the YAML loader (scenario_loader.hpp) builds it and is the
// only place that knows the file syntax. `topology: seed` is expanded into explicit hosts, links
// and tunnels by the loader, so runners only ever see the explicit form.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/drop_reason.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/routing_table.hpp"

namespace tunlab::scenario {

using Nanos = std::int64_t;

// Where a value came from in the file, for errors found after parsing ("file:line:col").
struct SourcePlace {
  std::string file;
  int line = 0;                  // 1-based; 0 = not from a file (built in code)
  int column = 0;                // 1-based
  std::string describe() const;  // "file:line:col"
};

enum class InterfaceKind { ethernet, tun, tap };

struct InterfaceSpec {
  std::string name;  // eth0, tun0, left (on wan)
  InterfaceKind kind = InterfaceKind::ethernet;
  Ipv4Address address;
  std::uint8_t prefix_length = 24;
  std::size_t mtu = 1500;
};

struct RouteSpec {
  Ipv4Address prefix;
  std::uint8_t prefix_length = 0;
  std::string device;  // interface name on the same host
  std::optional<Ipv4Address> via;
};

struct HostSpec {
  std::string name;
  bool forwarding = false;  // a router: forwards and decrements TTL
  std::vector<InterfaceSpec> interfaces;
  std::vector<RouteSpec> routes;
  // UDP ports app sockets listen on; empty = the host's app accepts every UDP port.
  std::vector<std::uint16_t> udp_listen;
};

// A point-to-point link between two ethernet interfaces ("left.eth0" <-> "wan.left").
struct LinkEnd {
  std::string host;
  std::string interface;
  std::string describe() const { return host + "." + interface; }
};

struct LinkSpec {
  LinkEnd a;
  LinkEnd b;
  std::size_t mtu = 1500;         // applies to both ends' interfaces
  Nanos delay_ns = 1'000'000;     // one-way propagation delay
  std::size_t queue_packets = 0;  // 0 = unbounded
  std::uint64_t rate_bps = 0;     // 0 = unlimited (serialisation delay otherwise)
};

// A tunnel endpoint (app B) on a host, bound to a TUN/TAP interface of that host.
struct TunnelSpec {
  std::string host;
  std::string device;  // tun0
  TunnelConfig config;
  std::string app{AppRegistry::kDefaultApp};  // the app B a runner builds for it, by registered name
  std::string app_place;                      // file:line:col of `app:`, for "unknown app" errors
  // App B from outside tunlab: `command` is a program (placeholders {dev} {local} {remote}
  // {inner} {host} {mtu} {scenario_dir}), run in the host's namespace on the real backend and
  // under the supervisor in the simulator (docs/programs-in-the-simulator.md); kernel_ipip
  // (`app: kernel-ipip`) is the kernel's own ipip device, real backend only: the simulator
  // refuses it rather than run something else in its place.
  std::string command;
  bool kernel_ipip = false;
  // TUN segmentation offloads on the device, as `tunlab tunnel --offload on` asks for them
  // (IFF_VNET_HDR): the host stack hands app B TCP super-packets and takes GSO writes. tun only;
  // the simulator models it (sim_device.hpp), off by default as every scenario before it ran.
  bool offload = false;
};

// Seeded faults on one direction of a link: the direction leaving `from` (host.iface).
struct LinkFaultSpec {
  LinkEnd from;
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;  // probability a packet is held back by reorder_delay_ns
  Nanos reorder_delay_ns = 2'000'000;
  Nanos jitter_ns = 0;                       // uniform extra delay in [0, jitter]
  double corrupt = 0;                        // probability one random bit of the packet flips
  std::vector<std::uint64_t> drop_nth;       // 1-based packet numbers on this direction to drop
  std::vector<std::uint64_t> corrupt_nth;    // ... to corrupt (one bit flipped)
  std::vector<std::uint64_t> reorder_nth;    // ... to hold back by reorder_delay_ns
  std::vector<std::uint64_t> duplicate_nth;  // ... to send twice
  SourcePlace place;
};

// Faults of a TUN/TAP device (host.device), on either backend: eagain and read_buffer wrap the
// device app B reads (FaultyDevice); queue_limit and down_at/up_at are the device's own.
struct DeviceFaultSpec {
  std::string host;
  std::string device;
  double eagain = 0;                // probability a read reports EAGAIN although packets wait
  std::size_t read_buffer = 0;      // app B's read buffer; 0 = MTU. Smaller truncates reads.
  std::size_t queue_limit = 500;    // txqueuelen: packets beyond it are dropped silently
  std::optional<Nanos> down_at_ns;  // device goes down (writes get EIO)
  std::optional<Nanos> up_at_ns;
  // `gso_write: einval`: the device refuses every GSO write with EINVAL, as Linux 6.6.44 refused
  // some; app B must fall back to writing the segments one by one. A wrapper fault (FaultyDevice).
  bool gso_write_einval = false;
  SourcePlace place;
};

// A change at virtual time `at_ns` on a link (both directions).
struct LinkChangeSpec {
  Nanos at_ns = 0;
  LinkEnd link;  // either end names the link
  std::optional<std::size_t> mtu;
  std::optional<bool> up;
  SourcePlace place;
};

enum class TrafficKind { udp, icmp_echo, tcp, raw, replay };

struct TrafficSpec {
  TrafficKind kind = TrafficKind::udp;
  Nanos at_ns = 0;
  std::string from;  // host whose app sends
  Ipv4Address src;   // default: the address of the route's egress (left: 10.0.0.12)
  bool src_set = false;
  Ipv4Address dst;
  std::uint16_t src_port = 40000;
  std::uint16_t dst_port = 9000;
  std::size_t size = 64;  // payload bytes (udp/tcp/echo); ignored for raw/replay
  bool df = false;
  std::uint8_t tos = 0;
  std::uint8_t ttl = 64;
  std::uint8_t tcp_flags = 0x02;
  std::uint32_t count = 1;
  Nanos interval_ns = 1'000'000;
  std::vector<std::uint8_t> raw;  // raw: a whole IPv4 packet as hex in the file
  std::filesystem::path replay;   // replay: a pcap, resolved relative to the scenario file
  // replay: how many records the pcap holds, when whoever built this spec already read it through
  // (`tunlab replay` does, to check it before anything runs); the runner then does not read a
  // million-record file once more just to count it.
  std::optional<std::uint64_t> replay_records;
  SourcePlace place;
};

// Matches on a packet's IPv4 header fields; unset fields match anything.
struct HeaderMatch {
  std::optional<Ipv4Address> src;
  std::optional<Ipv4Address> dst;
  std::optional<std::uint8_t> protocol;
  std::optional<std::uint8_t> ttl;
  std::optional<std::uint8_t> tos;
  std::optional<std::uint8_t> ecn;
  std::optional<std::uint8_t> dscp;
  std::optional<bool> df;
  std::optional<std::uint16_t> total_length;
  std::optional<std::uint16_t> dst_port;  // UDP/TCP
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> icmp_code;
  std::optional<std::uint16_t> icmp_mtu;
  bool empty() const;
};

enum class ExpectKind {
  app_received,     // at: host.app [port]: received count / bytes
  app_icmp,         // at: host.app: ICMP errors (type/code/mtu) received, count
  app_echo_reply,   // at: host.app: echo replies received, count
  hop,              // hop: host-iface: packets matching outer/inner, count (or at_least)
  dropped,          // drops: reason -> count
  delivered,        // totals: delivered / injected
  ordering,         // at: host.app port: datagrams arrived in the order sent
  dropped_at_most,  // a loss budget: at most N packets dropped, whatever the reasons
};
inline constexpr std::size_t kExpectKindCount = 8;  // the values above; each has a descriptor (expect_kind.hpp)

struct Expectation {
  ExpectKind kind = ExpectKind::app_received;
  std::string name;  // shown in results; generated from the fields if not given
  std::string host;  // app_* and ordering
  std::optional<std::uint16_t> port;
  std::optional<std::uint64_t> count;    // exact count
  std::optional<std::uint64_t> at_most;  // dropped_at_most
  std::optional<std::uint64_t> at_least;
  std::optional<std::uint64_t> bytes;  // app_received: total payload bytes
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> icmp_code;
  std::optional<std::uint16_t> icmp_mtu;
  std::string hop;    // "left-eth0"
  HeaderMatch outer;  // hop: the packet's own header (outer when IPIP)
  HeaderMatch inner;  // hop: the IPIP payload's header (requires protocol 4)
  std::map<DropReason, std::uint64_t> drops;
  std::map<std::string, std::uint64_t> app_drops;  // reasons of apps other than ipip, by name
  // dropped: {total: N}: the sum over every reason (total: 0 = nothing dropped anywhere).
  std::optional<std::uint64_t> dropped_total;
  std::optional<std::uint64_t> delivered;
  std::optional<std::uint64_t> injected;
  SourcePlace place;
};

struct Scenario {
  std::string name;
  std::string description;
  std::filesystem::path file;
  std::string topology = "custom";  // "seed" when built from the seed topology
  std::vector<HostSpec> hosts;
  std::vector<LinkSpec> links;
  std::vector<TunnelSpec> tunnels;
  std::vector<LinkFaultSpec> link_faults;
  std::vector<DeviceFaultSpec> device_faults;
  std::vector<LinkChangeSpec> link_changes;
  std::vector<TrafficSpec> traffic;
  std::vector<Expectation> expectations;
  std::uint64_t seed = 1;
  bool real = false;       // also runs against real namespaces
  Nanos run_until_ns = 0;  // 0 = until the event queue drains
};

// The seed topology (docs/contracts.md, "Seed topology"): left, wan, right, app B on both tun0s, app C on 10.0.0.22.
// `wan_mtu` is the MTU of both wan links.
Scenario seed_topology(std::size_t wan_mtu = 1500);

const HostSpec* find_host(const Scenario& scenario, const std::string& name);
const InterfaceSpec* find_interface(const HostSpec& host, const std::string& name);
// The device faults on host.device (the last entry naming it), or nullptr.
const DeviceFaultSpec* find_device_fault(const Scenario& scenario, const std::string& host, const std::string& device);

// The host's routing table as its stack builds it: a connected route per addressed interface, in
// interface order, then the scenario's routes; route.interface indexes host.interfaces. The one
// table every backend and the loader look routes up in, so they agree on every tie.
RoutingTable routing_table_of(const HostSpec& host);
// The interface the host sends to `dst` through, or nullptr without a route.
const InterfaceSpec* egress_interface(const HostSpec& host, Ipv4Address dst);

}  // namespace tunlab::scenario
