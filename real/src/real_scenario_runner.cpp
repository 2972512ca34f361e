// The real backend's scenario runner (see scenario_runner.hpp). Accounting in real mode, and how
// it maps onto the simulator's drop reasons:
//   injected   every packet the run handed to a host's stack (UDP/echo through the kernel's own
//              sockets, tcp/raw/replay through an IP_HDRINCL socket).
//   delivered  a packet whose delivery key (traffic_plan.hpp) arrives at an app socket of any
//              host: a UDP socket, the raw TCP socket, or the raw ICMP socket (echo requests count
//              when they reach the host that answers them, as in the simulator).
//   dropped    the tunnel engines' drop counters by reason (exact, as in the simulator); ICMP
//              errors a kernel generated, seen leaving one of its interfaces in the captures
//              (3/4 fragmentation-needed, 11/x ttl-exceeded, 3/0-1 no-route, 3/2
//              protocol-unreachable, 3/3 port-unreachable); and sends the kernel refused locally
//              (EMSGSIZE fragmentation-needed, ENETUNREACH/EHOSTUNREACH no-route).
// Kernel drops that send no ICMP error (bad checksums, reassembly timeouts, full queues) are not
// observable this way; such a packet stays unaccounted and the run reports it as an invariant
// violation after the settle timeout instead of guessing a reason.
#include "tunlab/real/scenario_runner.hpp"

#include <fcntl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "traffic_plan.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/harness/run_end.hpp"
#include "tunlab/os/app_driver.hpp"
#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/os/netlink.hpp"
#include "tunlab/os/privileges.hpp"
#include "tunlab/real/fault_wire.hpp"
#include "tunlab/real/packet_capture.hpp"
#include "tunlab/real/real_apps.hpp"
#include "tunlab/real/real_topology.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/tunnel/drop_reason.hpp"
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/packet_builder.hpp"
#include "tunlab/wire/tcp.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::real {

namespace {

// How long a tunnel program may hold a packet it took before the run counts it as absorbed.
constexpr std::chrono::nanoseconds kProgramGrace = std::chrono::milliseconds(300);

using scenario::InterfaceKind;
using scenario::TrafficKind;

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The drop reason a kernel's ICMP error stands for; nullopt for messages that are no drop (a
// redirect still forwards the packet).
std::optional<DropReason> reason_of_icmp(std::uint8_t type, std::uint8_t code) {
  if (type == icmp::kTimeExceeded) {
    return code == icmp::kReassemblyTimeExceeded ? DropReason::reassembly_incomplete : DropReason::ttl_exceeded;
  }
  if (type != icmp::kDestUnreachable) {
    return std::nullopt;
  }
  switch (code) {
    case icmp::kNetUnreachable:
    case icmp::kHostUnreachable:
      return DropReason::no_route;
    case icmp::kProtocolUnreachable:
      return DropReason::protocol_unreachable;
    case icmp::kPortUnreachable:
      return DropReason::port_unreachable;
    case icmp::kFragNeeded:
      return DropReason::fragmentation_needed;
    default:
      return std::nullopt;
  }
}

struct CaptureSlot {
  std::string host;
  std::string label;  // HOST-IFACE
  bool tun = false;
  std::unique_ptr<PacketCapture> capture;
  std::size_t scanned = 0;  // frames already looked at for kernel ICMP errors
};

// One real run: everything it built and everything it has seen so far.
class RealRun {
public:
  RealRun(const scenario::Scenario& s, const RealRunOptions& options) : s_(s), options_(options) {}

  RunSummary run();

private:
  void setup();
  void send(const PlannedSend& planned);
  void inject(const PlannedSend& planned);
  void on_arrival(const std::string& host, const AppArrival& arrival);
  void scan_captures();
  bool accounted() const;
  std::uint64_t dropped_so_far() const;
  void mark_delivered(const std::string& key);
  void on_wire_drops(FaultWire& wire);
  void read_kernel_checksum_drops();
  void wire_results(RunSummary& summary);
  bool is_local(const std::string& host, std::uint32_t address) const;
  bool has_tunnel(const std::string& host) const;
  RunSummary summarise(std::int64_t elapsed_ns, bool settled);

  const scenario::Scenario& s_;
  const RealRunOptions& options_;
  std::unique_ptr<RealTopology> topology_;
  std::map<std::string, std::unique_ptr<HostApps>> apps_;
  std::vector<CaptureSlot> captures_;
  os::EpollDriver driver_;
  std::vector<std::unique_ptr<os::AppDriver>> app_drivers_;  // before driver_ and topology_ go

  std::int64_t start_realtime_ns_ = 0;
  std::uint64_t injected_ = 0;
  std::vector<bool> delivered_;                              // by injected index
  std::map<std::string, std::deque<std::size_t>> awaiting_;  // delivery key -> injected indices
  std::set<std::string> injected_icmp_errors_;               // keys of raw-injected ICMP errors
  DropCounters kernel_drops_;                                // ICMP-reported and local send failures
  // By host with a tunnel program: the packets it took (read from its device, or that arrived for
  // its socket) and has not passed on yet, by delivery key, with when they were seen.
  std::map<std::string, std::map<std::string, std::deque<std::int64_t>>> program_took_;
  void note_program_traffic(const CaptureSlot& slot, const CapturedFrame& frame);
  std::uint64_t absorbed_by_programs(std::int64_t now_realtime_ns) const;
  std::uint64_t kernel_icmp_errors_sent_ = 0;
  std::uint64_t icmp_errors_arrived_ = 0;
  std::uint64_t echo_requests_sent_delivered_ = 0;  // requests of ours that reached their host
  std::set<std::size_t> echo_requests_;             // injected indices of echo requests
  std::uint64_t echo_replies_ = 0;
  Observations observed_;
  std::vector<std::string> violations_;
  // Faulted links (fault_wire.hpp): keys of packets delivered once, so a copy the wire made is a
  // duplicate delivery and not a datagram no application sent; packets the wire dropped; and the
  // kernels' own checksum-drop counters (/proc/net/snmp of each namespace), which is where a
  // corrupted packet the kernel discards silently shows up.
  std::map<std::string, std::size_t> delivered_keys_;
  std::uint64_t duplicate_deliveries_ = 0;
  bool may_duplicate_ = false;  // a link fault duplicates packets
  std::set<std::string> echo_reply_keys_;
  // A packet arriving again after its delivery, where a link fault duplicates packets.
  bool duplicate_of_delivered(const std::string& key) const {
    const auto it = awaiting_.find(key);
    return may_duplicate_ && (it == awaiting_.end() || it->second.empty()) && delivered_keys_.count(key) != 0;
  }
  // The raw TCP socket sees segments before the kernel checks their checksum: with faulted links
  // a corrupted one is the kernel's drop (counted from its counters), not a delivery.
  bool transport_checksum_holds(const Ipv4View& ip) const {
    if (snmp_.empty()) {
      return true;
    }
    const ByteView segment = ip.payload();
    return internet_checksum(segment, pseudo_header_sum(ip.src(), ip.dst(), ip.protocol(), segment.size())) == 0;
  }
  DropCounters wire_drops_;
  struct SnmpFile {
    std::string host;
    os::Fd fd;
    std::uint64_t base_header_errors = 0;
    std::uint64_t base_checksum_errors = 0;
    std::uint64_t header_errors = 0;
    std::uint64_t checksum_errors = 0;
  };
  std::vector<SnmpFile> snmp_;
  std::uint64_t extra_header_errors_ = 0;  // second copies of corrupted packets (see on_wire_drops)
  std::uint64_t extra_checksum_errors_ = 0;
  std::uint64_t header_errors() const;
  std::uint64_t checksum_errors() const;
  os::Fd settle_timer_;  // while wires are present: re-reads the kernel counters every few ms
};

void RealRun::setup() {
  topology_ =
      std::make_unique<RealTopology>(s_, AppRegistry::or_builtin(options_.apps), options_.seed.value_or(s_.seed));
  // Ports each host's apps must listen on: wherever the traffic goes (inside IPIP too), unless
  // the host lists its ports, as the simulator's listen does.
  std::map<std::string, std::set<std::uint16_t>> udp_ports;
  std::map<std::string, std::set<std::uint16_t>> tcp_ports;
  const std::vector<PlannedSend> plan = plan_traffic(s_);
  for (const auto& host : s_.hosts) {
    udp_ports[host.name].insert(host.udp_listen.begin(), host.udp_listen.end());
    tcp_ports[host.name];
  }
  for (const PlannedSend& p : plan) {
    auto ip = Ipv4View::parse(p.packet.bytes());
    // A first fragment still carries the inner headers.
    while (ip && ip->protocol() == ipproto::kIpip && ip->fragment_offset_bytes() == 0) {
      ip = Ipv4View::parse(ip->payload());
    }
    const auto ports = ip ? transport_ports(ip->payload()) : std::nullopt;
    if (!ports || ip->fragment_offset_bytes() != 0) {
      continue;
    }
    const std::uint16_t port = ports->dst;
    for (const auto& host : s_.hosts) {
      if (!is_local(host.name, ip->dst_raw())) {
        continue;
      }
      if (ip->protocol() == ipproto::kUdp && host.udp_listen.empty()) {
        udp_ports[host.name].insert(port);
      } else if (ip->protocol() == ipproto::kTcp) {
        tcp_ports[host.name].insert(port);
      }
    }
  }
  for (const auto& host : s_.hosts) {
    auto apps = std::make_unique<HostApps>(topology_->ns(host.name), udp_ports[host.name], tcp_ports[host.name]);
    for (const PlannedSend& p : plan) {
      const auto ip = Ipv4View::parse(p.packet.bytes());
      if (p.host == host.name && p.kind == TrafficKind::udp && is_local(host.name, ip->src_raw())) {
        apps->udp_sender(ip->src(), UdpView::parse(ip->payload())->src_port());
      }
    }
    for (const int fd : apps->fds()) {
      HostApps* raw = apps.get();
      const std::string name = host.name;
      driver_.add(fd, [this, raw, fd, name](std::int64_t) {
        raw->read(fd, [this, &name](const AppArrival& a) { on_arrival(name, a); });
      });
    }
    apps_.emplace(host.name, std::move(apps));
    observed_.apps[host.name];
  }
  for (RealTunnel& tunnel : topology_->tunnels()) {
    if (tunnel.app) {
      app_drivers_.push_back(std::make_unique<os::AppDriver>(driver_, *tunnel.app, *tunnel.device, *tunnel.underlay));
    }
  }
  // Tunnel commands last but for the captures: traffic starts once each has attached.
  topology_->start_external(std::chrono::seconds(10));
  for (const RealTunnel& tunnel : topology_->tunnels()) {
    if (tunnel.external) {
      program_took_[tunnel.host];  // its captures keep the ledger of what it took
    }
  }
  // Captures last, so setup traffic (there is none with IPv6 off, but ARP may start) is minimal.
  for (const auto& host : s_.hosts) {
    for (const auto& iface : host.interfaces) {
      CaptureSlot slot;
      slot.host = host.name;
      slot.label = host.name + "-" + iface.name;
      slot.tun = iface.kind == InterfaceKind::tun;
      slot.capture = std::make_unique<PacketCapture>(
          topology_->ns(host.name), iface.name, iface.kind == InterfaceKind::tun ? LinkType::raw : LinkType::ethernet);
      captures_.push_back(std::move(slot));
    }
  }
  for (std::size_t i = 0; i < captures_.size(); ++i) {
    driver_.add(captures_[i].capture->fd(), [this, i](std::int64_t) {
      captures_[i].capture->drain();
      scan_captures();
    });
  }
  if (topology_->wires().empty()) {
    return;
  }
  may_duplicate_ = std::any_of(s_.link_faults.begin(), s_.link_faults.end(),
                               [](const auto& f) { return f.duplicate > 0 || !f.duplicate_nth.empty(); });
  for (auto& w : topology_->wires()) {
    FaultWire* wire = w.wire.get();
    driver_.add(wire->notify_fd(), [this, wire](std::int64_t) { on_wire_drops(*wire); });
  }
  for (const auto& host : s_.hosts) {
    SnmpFile file;
    file.host = host.name;
    file.fd = os::run_in(topology_->ns(host.name), [] {
      // /proc/thread-self/net is the calling thread's namespace, fixed when the file is opened.
      return os::Fd::checked(::open("/proc/thread-self/net/snmp", O_RDONLY | O_CLOEXEC), "open /proc/net/snmp");
    });
    snmp_.push_back(std::move(file));
  }
  read_kernel_checksum_drops();
  for (SnmpFile& file : snmp_) {
    file.base_header_errors = file.header_errors;
    file.base_checksum_errors = file.checksum_errors;
  }
  // A corrupted packet a kernel discards wakes nobody: a periodic timer re-reads the counters.
  settle_timer_ = os::Fd::checked(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create");
  itimerspec every{};
  every.it_interval.tv_nsec = 5'000'000;
  every.it_value.tv_nsec = 5'000'000;
  ::timerfd_settime(settle_timer_.get(), 0, &every, nullptr);
  driver_.add(settle_timer_.get(), [this](std::int64_t) {
    std::uint64_t expirations = 0;
    [[maybe_unused]] const auto n = ::read(settle_timer_.get(), &expirations, sizeof expirations);
    read_kernel_checksum_drops();
  });
}

// A packet the wire dropped is the drop of the injected packet it carries, if that one is still
// awaited (a copy of a packet already delivered, or a packet no scenario sent, is not).
void RealRun::on_wire_drops(FaultWire& wire) {
  for (const WireDrop& drop : wire.take_drops()) {
    if (drop.extra_corrupted_copy) {
      // The layer that catches the corruption counts this copy once more: the outer header's
      // checksum (bad-ip-header), an IPIP inner header's (app B's own reason, counted by its
      // engine), or else the transport checksum (bad-transport-checksum).
      const auto outer = Ipv4View::parse(drop.ip);
      if (!outer || !outer->header_checksum_ok()) {
        ++extra_header_errors_;
      } else if (outer->protocol() == ipproto::kIpip) {
        const auto inner = Ipv4View::parse(outer->payload());
        if (inner && inner->header_checksum_ok()) {
          ++extra_checksum_errors_;
        }
      } else {
        ++extra_checksum_errors_;
      }
      continue;
    }
    const auto key = delivery_key(drop.ip);
    if (!key) {
      continue;
    }
    const auto it = awaiting_.find(*key);
    if (it == awaiting_.end() || it->second.empty()) {
      continue;
    }
    it->second.pop_front();
    wire_drops_.add(drop.reason);
  }
}

// Ip InHdrErrors (bad-ip-header) and the transport protocols' InCsumErrors
// (bad-transport-checksum) of every host, as far as they grew since the run started.
void RealRun::read_kernel_checksum_drops() {
  char text[8192];
  for (SnmpFile& file : snmp_) {
    const ssize_t n = ::pread(file.fd.get(), text, sizeof text - 1, 0);
    if (n <= 0) {
      continue;
    }
    text[n] = '\0';
    // Each protocol has a header line of names and a line of values, both starting "Proto:".
    const std::string all(text, static_cast<std::size_t>(n));
    const auto value_of = [&](const std::string& proto, const std::string& name) -> std::uint64_t {
      const std::string tag = proto + ":";
      const std::size_t names = all.find(tag);
      if (names == std::string::npos) {
        return 0;
      }
      const std::size_t values = all.find(tag, names + tag.size());
      if (values == std::string::npos) {
        return 0;
      }
      const auto fields = [&](std::size_t at) {
        std::vector<std::string> out;
        std::size_t end = all.find('\n', at);
        std::string line =
            all.substr(at + tag.size(), end == std::string::npos ? std::string::npos : end - at - tag.size());
        std::size_t pos = 0;
        while (pos < line.size()) {
          while (pos < line.size() && line[pos] == ' ') {
            ++pos;
          }
          const std::size_t start = pos;
          while (pos < line.size() && line[pos] != ' ') {
            ++pos;
          }
          if (pos > start) {
            out.push_back(line.substr(start, pos - start));
          }
        }
        return out;
      };
      const std::vector<std::string> keys = fields(names);
      const std::vector<std::string> vals = fields(values);
      for (std::size_t i = 0; i < keys.size() && i < vals.size(); ++i) {
        if (keys[i] == name) {
          return std::strtoull(vals[i].c_str(), nullptr, 10);
        }
      }
      return 0;
    };
    file.header_errors = value_of("Ip", "InHdrErrors");
    file.checksum_errors =
        value_of("Udp", "InCsumErrors") + value_of("Tcp", "InCsumErrors") + value_of("Icmp", "InCsumErrors");
  }
}

bool RealRun::is_local(const std::string& host, std::uint32_t address) const {
  const auto* spec = scenario::find_host(s_, host);
  return spec != nullptr && std::any_of(spec->interfaces.begin(), spec->interfaces.end(),
                                        [&](const auto& i) { return to_host_order(i.address) == address; });
}

bool RealRun::has_tunnel(const std::string& host) const {
  return std::any_of(s_.tunnels.begin(), s_.tunnels.end(), [&](const auto& t) { return t.host == host; });
}

void RealRun::inject(const PlannedSend& planned) {
  const std::size_t index = injected_++;
  delivered_.push_back(false);
  if (const auto key = delivery_key(planned.packet.bytes())) {
    awaiting_[*key].push_back(index);
    const auto ip = Ipv4View::parse(planned.packet.bytes());
    if (const auto icmp = ip->protocol() == ipproto::kIcmp ? IcmpView::parse(ip->payload()) : std::nullopt) {
      if (icmp->type() == icmp::kEchoRequest) {
        echo_requests_.insert(index);
      } else if (icmp->is_error()) {
        injected_icmp_errors_.insert(*key);
      }
    }
  }
}

void RealRun::send(const PlannedSend& planned) {
  inject(planned);
  HostApps& apps = *apps_.at(planned.host);
  const ByteView bytes = planned.packet.bytes();
  const auto ip = Ipv4View::parse(bytes);
  int err = 0;
  if (planned.kind == TrafficKind::udp && is_local(planned.host, ip->src_raw())) {
    const UdpView udp = *UdpView::parse(ip->payload());
    err = apps.send_udp(ip->src(), udp.src_port(), ip->dst(), udp.dst_port(), udp.payload(), planned.options);
  } else if (planned.kind == TrafficKind::icmp_echo) {
    err = apps.send_icmp(ip->dst(), ip->payload(), planned.options);
  } else {
    // tcp/raw/replay, and UDP from an address the host does not have (a kernel UDP socket cannot
    // send from it): the whole packet through the app's IP_HDRINCL socket.
    err = apps.send_ip(bytes);
  }
  if (err == EMSGSIZE) {
    kernel_drops_.add(DropReason::fragmentation_needed);
  } else if (err == ENETUNREACH || err == EHOSTUNREACH) {
    kernel_drops_.add(DropReason::no_route);
  } else if (err != 0) {
    violations_.push_back(fmt::format("{}: send #{} failed: {}", planned.host, injected_, std::strerror(err)));
  }
}

void RealRun::mark_delivered(const std::string& key) {
  const auto it = awaiting_.find(key);
  if (it == awaiting_.end() || it->second.empty()) {
    return;
  }
  const std::size_t index = it->second.front();
  it->second.pop_front();
  delivered_[index] = true;
  delivered_keys_[key] = index;
  if (echo_requests_.count(index) != 0) {
    ++echo_requests_sent_delivered_;
  }
}

void RealRun::on_arrival(const std::string& host, const AppArrival& arrival) {
  AppObservations& app = observed_.apps[host];
  switch (arrival.kind) {
    case AppArrival::Kind::udp_error:
      return;  // the raw ICMP socket reports the same message with its quote
    case AppArrival::Kind::udp_payload: {
      const std::string key = udp_delivery_key(arrival.port, arrival.bytes);
      const auto it = awaiting_.find(key);
      if ((it == awaiting_.end() || it->second.empty()) && may_duplicate_ && delivered_keys_.count(key) != 0) {
        ++duplicate_deliveries_;  // a copy the wire made of a datagram already delivered
        app.datagrams.push_back({ipproto::kUdp, arrival.port, arrival.bytes.size(), delivered_keys_.at(key) + 1});
        return;
      }
      if (it == awaiting_.end() || it->second.empty()) {
        violations_.push_back(
            fmt::format("{} received a datagram on port {} that no application sent", host, arrival.port));
        app.datagrams.push_back({ipproto::kUdp, arrival.port, arrival.bytes.size(), 0});
        return;
      }
      app.datagrams.push_back({ipproto::kUdp, arrival.port, arrival.bytes.size(), it->second.front() + 1});
      mark_delivered(key);
      return;
    }
    case AppArrival::Kind::tcp_packet: {
      const auto ip = Ipv4View::parse(arrival.bytes);
      const auto tcp = ip ? TcpView::parse(ip->payload()) : std::nullopt;
      if (!tcp || !transport_checksum_holds(*ip)) {
        return;
      }
      const auto key = delivery_key(arrival.bytes);
      std::uint64_t order = 0;
      if (key && duplicate_of_delivered(*key)) {
        ++duplicate_deliveries_;
        order = delivered_keys_.at(*key) + 1;
      } else if (key) {
        if (const auto it = awaiting_.find(*key); it != awaiting_.end() && !it->second.empty()) {
          order = it->second.front() + 1;
        }
        mark_delivered(*key);
      }
      app.datagrams.push_back({ipproto::kTcp, tcp->dst_port(), tcp->payload().size(), order});
      return;
    }
    case AppArrival::Kind::icmp_packet: {
      const auto ip = Ipv4View::parse(arrival.bytes);
      const auto icmp = ip ? IcmpView::parse(ip->payload()) : std::nullopt;
      if (!icmp || (!snmp_.empty() && !icmp->checksum_ok())) {
        return;  // with faulted links: a corrupted message the kernel drops (and counts)
      }
      const auto key = delivery_key(arrival.bytes);
      if (key && duplicate_of_delivered(*key)) {
        ++duplicate_deliveries_;
      } else if (key) {
        mark_delivered(*key);
      }
      if (icmp->type() == icmp::kEchoReply) {
        ++app.echo_replies;
        // A copy of a reply (the wire duplicated it, or its request) answers nothing new.
        if (!key || !may_duplicate_ || echo_reply_keys_.insert(*key).second) {
          ++echo_replies_;
        }
      } else if (icmp->is_error()) {
        ++icmp_errors_arrived_;
        const auto quoted = Ipv4View::parse(icmp->quoted());
        // As in the simulator: errors about IPIP packets belong to app B's raw socket.
        if (!(quoted && quoted->protocol() == ipproto::kIpip && has_tunnel(host))) {
          app.icmp_errors.push_back({icmp->type(), icmp->code(), icmp->next_hop_mtu()});
        }
      }
      return;
    }
  }
}

// ICMP errors a kernel generated: leaving one of its own interfaces with one of its own
// addresses as source. (app B's errors enter the stack from the tun device: not outgoing.)
void RealRun::scan_captures() {
  for (CaptureSlot& slot : captures_) {
    const auto& frames = slot.capture->frames();
    for (; slot.scanned < frames.size(); ++slot.scanned) {
      const CapturedFrame& frame = frames[slot.scanned];
      if (program_took_.count(slot.host) != 0) {
        note_program_traffic(slot, frame);
      }
      if (!frame.outgoing) {
        continue;
      }
      const auto ip = Ipv4View::parse(slot.capture->ipv4_of(frame));
      const auto icmp = ip && ip->protocol() == ipproto::kIcmp ? IcmpView::parse(ip->payload()) : std::nullopt;
      if (!icmp || !is_local(slot.host, ip->src_raw()) || !icmp->is_error()) {
        continue;
      }
      if (const auto key = delivery_key(ip->bytes()); key && injected_icmp_errors_.count(*key) != 0) {
        continue;  // a scenario's raw ICMP error, not the kernel's
      }
      ++kernel_icmp_errors_sent_;
      if (const auto reason = reason_of_icmp(icmp->type(), icmp->code())) {
        kernel_drops_.add(*reason);
      }
    }
  }
}

// A tunnel program's packets, from its host's captures: what the kernel sends into the TUN device
// the program read; what leaves another interface from the host as IPIP or IP in UDP it sent on.
// The other way round, what arrives as IPIP or IP in UDP for the host it received, and what comes
// out of the TUN device it wrote. A packet taken and not passed on within kProgramGrace is
// absorbed by the program, as the simulator's supervisor accounts it exactly.
void RealRun::note_program_traffic(const CaptureSlot& slot, const CapturedFrame& frame) {
  const ByteView ip_bytes = slot.capture->ipv4_of(frame);
  const auto ip = Ipv4View::parse(ip_bytes);
  if (!ip) {
    return;
  }
  std::optional<ByteView> inner;
  bool took = false;
  if (slot.tun) {
    inner = ip_bytes;
    took = frame.outgoing;  // into the device: the program reads it
  } else if (!ip->is_fragment() &&
             (frame.outgoing ? is_local(slot.host, ip->src_raw()) : is_local(slot.host, ip->dst_raw()))) {
    if (ip->protocol() == ipproto::kIpip) {
      inner = ip->payload();
    } else if (const auto udp = ip->protocol() == ipproto::kUdp ? UdpView::parse(ip->payload()) : std::nullopt;
               udp && Ipv4View::parse(udp->payload())) {
      inner = udp->payload();
    }
    took = !frame.outgoing;  // arrived for the program's socket
  }
  if (!inner) {
    return;
  }
  const auto key = delivery_key(*inner);
  if (!key) {
    return;
  }
  // Reads from the device and receives from the network are two ledgers: a key is prefixed with
  // the side the program took it from, and passing on settles the oldest entry of the other.
  const bool from_device = slot.tun == took;
  const std::string entry = (from_device ? "d:" : "u:") + *key;
  auto& ledger = program_took_[slot.host];
  if (took) {
    ledger[entry].push_back(frame.realtime_ns);
  } else if (const auto it = ledger.find(entry); it != ledger.end() && !it->second.empty()) {
    it->second.pop_front();
  }
}

std::uint64_t RealRun::absorbed_by_programs(std::int64_t now_realtime_ns) const {
  std::uint64_t absorbed = 0;
  for (const auto& [host, ledger] : program_took_) {
    for (const auto& [entry, times] : ledger) {
      // Only packets the run injected and that have not arrived (a reply is not accounted).
      const auto waiting = awaiting_.find(entry.substr(2));
      if (waiting == awaiting_.end() || waiting->second.empty()) {
        continue;
      }
      const auto old = static_cast<std::uint64_t>(std::count_if(
          times.begin(), times.end(), [&](std::int64_t at) { return at + kProgramGrace.count() <= now_realtime_ns; }));
      absorbed += std::min<std::uint64_t>(old, waiting->second.size());
    }
  }
  return absorbed;
}

// The kernels' checksum drops of packets, a corrupted packet the wire duplicated counting once.
std::uint64_t RealRun::header_errors() const {
  std::uint64_t n = 0;
  for (const SnmpFile& file : snmp_) {
    n += file.header_errors - file.base_header_errors;
  }
  return n > extra_header_errors_ ? n - extra_header_errors_ : 0;
}

std::uint64_t RealRun::checksum_errors() const {
  std::uint64_t n = 0;
  for (const SnmpFile& file : snmp_) {
    n += file.checksum_errors - file.base_checksum_errors;
  }
  return n > extra_checksum_errors_ ? n - extra_checksum_errors_ : 0;
}

std::uint64_t RealRun::dropped_so_far() const {
  std::uint64_t total = kernel_drops_.total() + wire_drops_.total() + header_errors() + checksum_errors() +
                        absorbed_by_programs(realtime_ns());
  for (const RealTunnel& t : topology_->tunnels()) {
    total += t.drops->total();
  }
  return total;
}

// Everything injected has a fate, every echo request that arrived has its reply back, and every
// ICMP error sent (by a kernel or by app B into its device) has reached a host.
// What the wires did: their drops and the kernels' checksum drops in `dropped`, duplicate
// deliveries, each faulted direction's counts and how late its held frames left (p50/p99), and
// the fault log shrinking replays.
void RealRun::wire_results(RunSummary& summary) {
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    if (wire_drops_.count[r] != 0) {
      summary.dropped[std::string(to_string(static_cast<DropReason>(r)))] += wire_drops_.count[r];
    }
  }
  if (header_errors() != 0) {
    summary.dropped[std::string(to_string(DropReason::bad_ip_header))] += header_errors();
  }
  if (checksum_errors() != 0) {
    summary.dropped[std::string(to_string(DropReason::bad_checksum))] += checksum_errors();
  }
  summary.duplicate_deliveries = duplicate_deliveries_;
  for (const auto& [index, where] : topology_->wire_of_fault()) {
    const FaultWire& wire = *topology_->wires()[where.wire].wire;
    const WireDirectionStats stats = wire.stats(where.direction);
    auto& out = summary.link_wires[s_.link_faults[index].from.describe()];
    out["frames"] = stats.frames;
    out["ip_packets"] = stats.ip_packets;
    out["dropped"] = stats.dropped;
    out["corrupted"] = stats.corrupted;
    out["duplicated"] = stats.duplicated;
    out["delayed"] = stats.delayed;
    out["send_errors"] = stats.send_errors;
    if (options_.applied_link_faults != nullptr) {
      for (const LinkFaults::Event& event : wire.faults(where.direction).events()) {
        options_.applied_link_faults->push_back({index, event.kind, event.packet});
      }
    }
  }
  for (const auto& w : topology_->wires()) {
    // Delay errors are per wire (both directions share its timer).
    const std::vector<std::int64_t> errors = w.wire->delay_errors_ns();
    if (errors.empty()) {
      continue;
    }
    const auto at = [&](double q) {
      return static_cast<std::uint64_t>(
          std::max<std::int64_t>(0, errors[static_cast<std::size_t>(q * static_cast<double>(errors.size() - 1))]));
    };
    auto& out = summary.link_wires[w.label];
    out["held"] = errors.size();
    out["delay_error_p50_ns"] = at(0.50);
    out["delay_error_p99_ns"] = at(0.99);
    out["delay_error_max_ns"] = at(1.0);
  }
}

bool RealRun::accounted() const {
  const auto delivered = static_cast<std::uint64_t>(std::count(delivered_.begin(), delivered_.end(), true));
  std::uint64_t engine_icmp = 0;
  for (const RealTunnel& t : topology_->tunnels()) {
    // Apps that answer into their device count it under this name (tunlab's engine does).
    engine_icmp += t.app ? counter_or_zero(t.app->counters(os::EpollDriver::now_ns()), "icmp_sent_to_inner") : 0;
  }
  return delivered + dropped_so_far() >= injected_ && echo_replies_ >= echo_requests_sent_delivered_ &&
         icmp_errors_arrived_ >= kernel_icmp_errors_sent_ + engine_icmp;
}

RunSummary RealRun::run() {
  const os::HostNetnsGuard guard;
  setup();
  guard.check("real run setup");
  if (options_.after_setup) {
    options_.after_setup();
  }
  const std::vector<PlannedSend> plan = plan_traffic(s_);
  // A device's down_at/up_at: its link state, set at that offset as the simulator schedules it
  // (before traffic of the same time, which the simulator schedules after).
  struct DeviceChange {
    std::int64_t at_ns;
    const scenario::DeviceFaultSpec* fault;
    bool up;
  };
  std::vector<DeviceChange> changes;
  for (const auto& fault : s_.device_faults) {
    if (fault.down_at_ns) {
      changes.push_back({*fault.down_at_ns, &fault, false});
    }
    if (fault.up_at_ns) {
      changes.push_back({*fault.up_at_ns, &fault, true});
    }
  }
  std::stable_sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) { return a.at_ns < b.at_ns; });
  const std::int64_t start = os::EpollDriver::now_ns();
  start_realtime_ns_ = realtime_ns();
  // Bounded wait until `at_ns` after the start, dispatching everything that happens meanwhile.
  // With faulted links, where packets' fates depend on their order at the wire, a timer on
  // CLOCK_MONOTONIC wakes the loop at the send time itself (epoll's own timeout has only
  // millisecond resolution). Runs without wires keep their timing as it was.
  os::Fd send_timer;
  if (!topology_->wires().empty()) {
    send_timer = os::Fd::checked(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create");
    driver_.add(send_timer.get(), [&send_timer](std::int64_t) {
      std::uint64_t expirations = 0;
      [[maybe_unused]] const auto n = ::read(send_timer.get(), &expirations, sizeof expirations);
    });
  }
  const auto wait_until = [&](std::int64_t at_ns) {
    const std::int64_t wait = start + at_ns - os::EpollDriver::now_ns();
    if (wait <= 0) {
      return;
    }
    if (!send_timer) {
      driver_.run_until([] { return false; }, std::chrono::nanoseconds(wait));
      return;
    }
    itimerspec when{};
    when.it_value.tv_sec = (start + at_ns) / 1'000'000'000;
    when.it_value.tv_nsec = (start + at_ns) % 1'000'000'000;
    ::timerfd_settime(send_timer.get(), TFD_TIMER_ABSTIME, &when, nullptr);
    driver_.run_until([&] { return os::EpollDriver::now_ns() >= start + at_ns; }, std::chrono::nanoseconds(wait));
  };
  std::size_t next_change = 0;
  const auto change_until = [&](std::int64_t at_ns) {
    for (; next_change < changes.size() && changes[next_change].at_ns <= at_ns; ++next_change) {
      const DeviceChange& c = changes[next_change];
      wait_until(c.at_ns);
      os::link_set_up(topology_->ns(c.fault->host), c.fault->device, c.up);
    }
  };
  for (const PlannedSend& planned : plan) {
    change_until(planned.at_ns);
    wait_until(planned.at_ns);
    send(planned);
  }
  change_until(std::numeric_limits<std::int64_t>::max());
  if (send_timer) {
    driver_.remove(send_timer.get());
  }
  const bool settled = driver_.run_until([this] { return accounted(); }, options_.settle_timeout) ==
                       os::EpollDriver::Outcome::predicate_met;
  // A tunnel program that ended before being told to is a failure of the run, whatever it sent.
  for (RealTunnel& t : topology_->tunnels()) {
    if (t.external) {
      if (const auto how = t.external->exited()) {
        violations_.push_back(
            fmt::format("tunnel command on {} {} during the run: {}", t.host, *how, t.external->command()));
      }
      t.external->stop();
    }
  }
  // The wires stop before the last look: their logs and counts are final.
  topology_->stop_wires();
  for (auto& w : topology_->wires()) {
    on_wire_drops(*w.wire);
  }
  read_kernel_checksum_drops();
  // Whatever is still queued on a socket happened before the last observation; read it all.
  for (CaptureSlot& slot : captures_) {
    slot.capture->drain();
  }
  scan_captures();
  guard.check("real run");
  return summarise(os::EpollDriver::now_ns() - start, settled);
}

RunSummary RealRun::summarise(std::int64_t elapsed_ns, bool settled) {
  RunSummary summary;
  summary.scenario = s_.name;
  summary.backend = "real";
  summary.seed = options_.seed.value_or(s_.seed);
  summary.injected = injected_;
  summary.delivered = static_cast<std::uint64_t>(std::count(delivered_.begin(), delivered_.end(), true));
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    if (kernel_drops_.count[r] != 0) {
      summary.dropped[std::string(to_string(static_cast<DropReason>(r)))] += kernel_drops_.count[r];
    }
  }
  for (const RealTunnel& t : topology_->tunnels()) {
    for (const auto& [reason, count] : t.drops->by_reason()) {
      summary.dropped[reason] += count;
    }
  }
  if (const std::uint64_t absorbed = absorbed_by_programs(realtime_ns()); absorbed != 0) {
    summary.dropped["absorbed-by-program"] += absorbed;
  }
  wire_results(summary);
  summary.virtual_time_ns = static_cast<std::uint64_t>(elapsed_ns);
  summary.invariant_violations = violations_;
  const std::uint64_t dropped = dropped_so_far();
  if (summary.injected != summary.delivered + dropped) {
    summary.invariant_violations.push_back(fmt::format(
        "injected {} != delivered {} + dropped {} (as far as the kernel lets us observe{})", summary.injected,
        summary.delivered, dropped, settled ? "" : "; still unaccounted when the settle timeout ran out"));
  }

  CaptureSet captures;
  RealHops hops;
  struct Seen {
    std::int64_t at_ns;
    std::string label;
    bool outgoing;
    std::size_t index;  // into hops[label]
  };
  // Kept and sorted only for observers of every interface (the report, the trace): a run without
  // them pays for neither.
  const bool watched_everywhere = std::any_of(options_.observers.begin(), options_.observers.end(),
                                              [](const RunObserver* o) { return o->only_interface().empty(); });
  std::vector<Seen> observed_in_time;
  for (const CaptureSlot& slot : captures_) {
    const std::size_t index = captures.open(slot.label, slot.capture->link_type());
    auto& hop = hops[slot.label];
    std::int64_t previous_ns = 0;
    for (const CapturedFrame& frame : slot.capture->frames()) {
      const ByteView ip = slot.capture->ipv4_of(frame);
      const auto ethernet = EthernetView::parse(frame.bytes);
      if (slot.capture->link_type() == LinkType::ethernet && ip.empty() && ethernet &&
          ethernet->ethertype() == ethertype::kIpv6) {
        continue;  // IPv6 is disabled; anything left of it is noise
      }
      const std::int64_t at_ns = capture_offset_ns(frame, start_realtime_ns_, previous_ns);
      previous_ns = at_ns;
      captures.record(index, at_ns, frame.bytes);
      if (!ip.empty()) {
        hop.push_back({at_ns, frame.outgoing, std::vector<std::uint8_t>(ip.begin(), ip.end())});
        if (watched_everywhere) {
          observed_in_time.push_back({at_ns, slot.label, frame.outgoing, hop.size() - 1});
        }
      }
    }
  }
  check_hop_names(s_, options_.observers, [&hops](const std::string& label) { return hops.count(label) != 0; });
  // Captures are read one interface after another; observers of every interface want them in
  // time order, an observer of one interface in that capture's own order.
  std::stable_sort(observed_in_time.begin(), observed_in_time.end(),
                   [](const auto& x, const auto& y) { return x.at_ns < y.at_ns; });
  for (RunObserver* observer : options_.observers) {
    const std::string only(observer->only_interface());
    if (only.empty()) {
      for (const auto& seen : observed_in_time) {
        observer->hop(seen.at_ns, seen.label, seen.outgoing, 0, hops[seen.label][seen.index].bytes);
      }
      continue;
    }
    for (const RealHopPacket& packet : hops[only]) {
      observer->hop(packet.at_ns, only, packet.outgoing, 0, packet.bytes);
    }
  }
  for (const auto& [label, packets] : hops) {
    auto& list = observed_.hops[label];
    for (const RealHopPacket& p : packets) {
      list.push_back(p.bytes);
    }
  }
  observed_.injected = summary.injected;
  observed_.delivered = summary.delivered;
  observed_.dropped = summary.dropped;
  summary.expectations = evaluate_expectations(s_, observed_);

  std::vector<RunTunnel> tunnels;
  for (const RealTunnel& t : topology_->tunnels()) {
    tunnels.push_back({t.host, t.app.get()});
  }
  finish_run(summary, options_, tunnels, os::EpollDriver::now_ns(), &captures);
  return summary;
}

}  // namespace

void check_real_capable(const scenario::Scenario& s) {
  const auto refuse = [&](const std::string& what, const scenario::SourcePlace& place) {
    throw InputError(
        fmt::format("{}: scenario {} is sim-only: faults need netem ({}; tc netem is not available "
                    "on this kernel)",
                    place.line > 0 ? place.describe() : s.file.string(), s.name, what));
  };
  // Link faults run on a user-space wire (fault_wire.hpp) on the link they name.
  for (const auto& fault : s.link_faults) {
    const bool on_a_link = std::any_of(s.links.begin(), s.links.end(), [&](const auto& link) {
      return (link.a.host == fault.from.host && link.a.interface == fault.from.interface) ||
             (link.b.host == fault.from.host && link.b.interface == fault.from.interface);
    });
    if (!on_a_link) {
      throw InputError(fault.place.describe() + ": faults.link: no link at " + fault.from.describe());
    }
  }
  // Device faults: eagain and read_buffer wrap app B's device (FaultyDevice), queue_limit is the
  // tun's txqueuelen, down_at/up_at set its link state at those offsets (RealRun::run).
  for (const auto& fault : s.device_faults) {
    for (const auto& t : s.tunnels) {
      if (t.host == fault.host && t.device == fault.device && (!t.command.empty() || t.kernel_ipip) &&
          (fault.eagain > 0 || fault.read_buffer > 0)) {
        throw InputError(
            fmt::format("{}: eagain and read_buffer wrap the device tunlab's app B reads; {}.{} is read "
                        "by {}",
                        fault.place.line > 0 ? fault.place.describe() : s.file.string(), fault.host, fault.device,
                        t.kernel_ipip ? "the kernel's ipip device" : "a tunnel command"));
      }
    }
  }
  if (!s.link_changes.empty()) {
    refuse("link change at " + s.link_changes.front().link.describe(), s.link_changes.front().place);
  }
  for (const auto& link : s.links) {
    if (link.rate_bps != 0 || link.queue_packets != 0) {
      refuse("rate or queue limit on " + link.a.describe() + " <-> " + link.b.describe(), {});
    }
  }
}

RunSummary run_scenario_real(const scenario::Scenario& s, const RealRunOptions& options) {
  check_real_capable(s);
  os::require_net_admin();
  if (options.note) {
    for (const auto& link : s.links) {
      if (link.delay_ns > 0) {
        options.note(fmt::format("link delays are ignored on the real backend (no netem): {} <-> {} has {} ns",
                                 link.a.describe(), link.b.describe(), link.delay_ns));
        break;
      }
    }
  }
  RealRun run(s, options);
  return run.run();
}

}  // namespace tunlab::real
