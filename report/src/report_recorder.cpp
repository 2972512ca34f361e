// RunRecorder: what the report draws, kept as packets pass.
//
// A "packet" of the report is everything that descends from one injected packet (its fragments,
// its IPIP encapsulation, duplicates: the simulator's origin tag), or, without a tag (the
// network's own ICMP errors and echo replies, every packet of the real backend), one innermost
// IPv4 header (source, destination, protocol, ID). An ICMP error is linked to the packet it
// quotes, so selecting a packet also shows the errors it caused and their relay.
#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report_json.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/expect_kind.hpp"
#include "tunlab/scenario/safe_text.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::report {

namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the report's own helpers
using scenario::InterfaceKind;

constexpr std::size_t kTimeBuckets = 120;  // histogram columns over the run's time
constexpr std::size_t kSizeBin = 100;      // bytes per packet-size histogram bin
constexpr std::size_t kSizeBins = 16;      // the last bin holds everything >= 1500
// Dropped packets listed one by one (origin, reason, place, time: 24 bytes each while running):
// every drop of a run of 10^9 packets at 0.1 % loss; past it they are counted only.
constexpr std::size_t kMaxListedDrops = 1'000'000;
// Per hop expectation, the packets that crossed its hop first: the sample a failed expectation's
// "closest: packet N" counts in (the runner keeps the same number).
constexpr std::size_t kWatchedPackets = 64;

std::string address_text(Ipv4Address a) {
  return a.to_string();
}

}  // namespace

struct RunRecorder::Impl {
  struct Lane {
    std::string label;
    std::string host;
    std::string interface;
    InterfaceKind kind = InterfaceKind::ethernet;
    std::string address;
    int prefix = 0;
    std::size_t mtu = 0;
    int peer = -1;  // the lane at the other end of its link
  };
  // One hop as seen: the packet's first bytes (headers, an ICMP error's quote) are enough to draw it.
  struct RawHop {
    std::uint64_t n = 0;  // arrival order
    std::int64_t t = 0;
    int lane = 0;
    bool outgoing = false;
    std::uint32_t id = 0;
    std::size_t size = 0;
    std::array<std::uint8_t, 128> head{};  // the first bytes: no allocation per hop
    std::size_t head_size = 0;
    std::vector<std::size_t> hits;  // expectations it matched
  };
  // A packet being followed but not (yet) drawn: its hops wait here in case it is dropped.
  struct Pending {
    std::vector<RawHop> hops;
  };
  struct PacketInfo {
    std::uint32_t id = 0;
    std::uint32_t origin = 0;
    std::int64_t first_ns = 0;
    char kind = 'd';          // d data, e ICMP error, p echo, o other
    std::uint32_t cause = 0;  // the packet an ICMP error quotes (0 = none known)
    bool detailed = false;
    std::uint32_t hops_kept = 0;     // of its hops, drawn (or pending), at most limits.hops_per_packet
    std::uint32_t drops_kept = 0;    // of its drops, drawn, at most limits.drops_per_packet
    std::string dropped;             // reason of its (first) drop
    std::string relay;               // an ICMP error: what the app B it reached did with it
    std::optional<HeaderKey> quote;  // an ICMP error: the header it quotes
    std::string arrived;             // the host whose interface it last entered
    Json first;                      // innermost header at its first hop
    std::vector<int> crossed;        // lane * 2 + outgoing: a packet crosses each at most once
  };

  const scenario::Scenario& s;
  // By tunnel index: the outer TTLs and TOS bytes seen leaving that end (a few distinct values).
  std::map<std::size_t, std::pair<std::set<int>, std::set<int>>> seen_outer;
  RecorderLimits limits;
  std::vector<Lane> lanes;
  std::map<std::string, int> lane_of;
  std::map<std::string, std::vector<int>> host_lanes;  // lanes of each host, path order

  // Packets: the detailed ones for good, the others only while recent.
  std::uint32_t next_id = 1;
  std::size_t first_detailed = 0;
  std::size_t failed_detailed = 0;
  std::map<std::uint32_t, PacketInfo> packets;  // detailed + recent
  std::deque<std::uint32_t> recent;             // ids not detailed, oldest first
  std::map<std::uint32_t, Pending> pending;
  std::map<std::uint32_t, std::uint32_t> id_of_origin;
  std::deque<std::uint32_t> origin_order;
  std::map<HeaderKey, std::uint32_t> id_of_key;
  std::deque<HeaderKey> key_order;

  std::vector<RawHop> hops;  // detailed hops
  std::vector<Json> drops;
  std::uint64_t hop_count = 0;
  std::uint64_t drop_count = 0;
  std::uint64_t drops_detailed = 0;
  std::uint64_t hops_omitted = 0;   // of detailed (or followed) packets, past a limit
  std::uint64_t drops_omitted = 0;  // likewise

  // Expectations: how many hops/drops each matched, all of them, detailed or not.
  std::vector<std::uint64_t> expect_hits;
  // Hop expectations by lane, and the packets (recorder ids) each saw first, in crossing order.
  std::map<int, std::vector<std::size_t>> expectations_at_lane;
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> watched;  // (id, origin)

  // The drop list: where and when each injected packet was first dropped (by origin), then, at the
  // end of a run whose backend knows fates, the packets the summary counts dropped, in origin order.
  struct DropEvent {
    std::uint32_t origin = 0;
    std::int64_t t = 0;
    std::uint32_t place = 0;   // index into drop_places
    std::uint32_t reason = 0;  // index into drop_reasons
  };
  std::vector<DropEvent> drop_events;  // origin order after the first packet_dropped call
  bool drop_events_sorted = false;
  std::vector<DropEvent> listed_drops;
  bool fates_known = false;
  std::uint64_t drops_unlisted = 0;
  std::vector<std::string> drop_reasons;
  std::map<std::string, std::uint32_t, std::less<>> reason_index;
  std::vector<std::tuple<std::string, int, bool>> drop_places;  // host, lane, on the link
  std::map<std::tuple<std::string, int, bool>, std::uint32_t> place_index;

  // Histograms over time: width doubles whenever the run outgrows kTimeBuckets columns.
  std::int64_t bucket_ns = 1000;
  std::vector<std::vector<std::uint64_t>> lane_time;            // [lane][bucket] hops
  std::map<std::string, std::vector<std::uint64_t>> drop_time;  // reason -> [bucket]
  std::vector<std::array<std::uint64_t, 6>> lane_proto;         // ipip udp tcp icmp frag other
  std::vector<std::uint64_t> lane_bytes;
  std::vector<std::uint64_t> sizes = std::vector<std::uint64_t>(kSizeBins, 0);
  std::map<std::string, std::uint64_t> drops_by_place;  // "reason|host|lane"
  std::int64_t last_ns = 0;

  Impl(const scenario::Scenario& scenario, RecorderLimits l) : s(scenario), limits(l) {
    build_lanes();
    expect_hits.assign(s.expectations.size(), 0);
    watched.resize(s.expectations.size());
    for (std::size_t i = 0; i < s.expectations.size(); ++i) {
      const scenario::Expectation& e = s.expectations[i];
      if (scenario::detail::expect_kind(e.kind).report_hop != nullptr && !e.hop.empty()) {
        if (const auto it = lane_of.find(e.hop); it != lane_of.end()) {
          expectations_at_lane[it->second].push_back(i);
        }
      }
    }
  }

  std::uint32_t reason_id(std::string_view reason) {
    if (const auto it = reason_index.find(reason); it != reason_index.end()) {
      return it->second;
    }
    const auto id = static_cast<std::uint32_t>(drop_reasons.size());
    drop_reasons.emplace_back(reason);
    reason_index.emplace(std::string(reason), id);
    return id;
  }

  std::uint32_t place_id(const std::string& host, int lane, bool on_link) {
    const auto key = std::make_tuple(host, lane, on_link);
    if (const auto it = place_index.find(key); it != place_index.end()) {
      return it->second;
    }
    const auto id = static_cast<std::uint32_t>(drop_places.size());
    drop_places.push_back(key);
    place_index.emplace(key, id);
    return id;
  }

  // The first drop event of `origin` (drop_events sorted by origin, first event first).
  const DropEvent* first_drop_event(std::uint32_t origin) {
    if (!drop_events_sorted) {
      std::stable_sort(drop_events.begin(), drop_events.end(),
                       [](const DropEvent& a, const DropEvent& b) { return a.origin < b.origin; });
      drop_events_sorted = true;
    }
    const auto it = std::lower_bound(drop_events.begin(), drop_events.end(), origin,
                                     [](const DropEvent& e, std::uint32_t o) { return e.origin < o; });
    return it != drop_events.end() && it->origin == origin ? &*it : nullptr;
  }

  // The ICMP error app B on `host` just decided about: of those that reached the host quoting the
  // same outer header as `quoted` and are not decided yet, the first to arrive (app B reads its
  // socket in order; later ones may already be on their way).
  void icmp_decision(const std::string& host, ByteView quoted, std::string_view decision) {
    const auto outer = Ipv4View::parse(quoted);
    if (!outer) {
      return;
    }
    const HeaderKey quote = key_of(*outer);
    PacketInfo* first = nullptr;
    int looked = 0;
    for (auto it = packets.rbegin(); it != packets.rend() && looked < 256; ++it, ++looked) {
      PacketInfo& p = it->second;
      if (p.kind == 'e' && p.quote == quote && p.relay.empty() && p.arrived == host) {
        first = &p;
      }
    }
    if (first != nullptr) {
      first->relay = std::string(decision);
    }
  }

  void packet_dropped(std::uint32_t origin, std::string_view reason) {
    fates_known = true;
    if (listed_drops.size() >= kMaxListedDrops) {
      ++drops_unlisted;
      return;
    }
    DropEvent listed{origin, -1, UINT32_MAX, reason_id(reason)};
    if (const DropEvent* event = first_drop_event(origin)) {
      listed.t = event->t;
      listed.place = event->place;
    }
    listed_drops.push_back(listed);
  }

  // Interfaces in path order: hosts breadth-first along links from the first host (in the file's
  // order) at an end of the topology; in each host, interfaces linked to earlier hosts, then
  // unlinked ones (tun, tap), then the rest. The order follows the topology alone, so a scenario
  // whose traffic starts in the middle (at a router) draws its lanes as every other one does.
  void build_lanes() {
    std::map<std::string, std::size_t> host_index;
    std::map<std::string, std::size_t> links_of;
    for (std::size_t i = 0; i < s.hosts.size(); ++i) {
      host_index[s.hosts[i].name] = i;
    }
    for (const auto& link : s.links) {
      ++links_of[link.a.host];
      ++links_of[link.b.host];
    }
    std::string start;
    for (const auto& h : s.hosts) {
      if (links_of[h.name] <= 1) {
        start = h.name;
        break;
      }
    }
    if (start.empty() && !s.hosts.empty()) {
      start = s.hosts.front().name;
    }
    std::vector<std::string> order;
    std::map<std::string, std::size_t> rank;
    const auto visit_from = [&](const std::string& root) {
      std::deque<std::string> queue{root};
      rank[root] = order.size();
      order.push_back(root);
      while (!queue.empty()) {
        const std::string h = queue.front();
        queue.pop_front();
        for (const auto& link : s.links) {
          for (const auto& [x, y] : {std::pair{link.a, link.b}, std::pair{link.b, link.a}}) {
            if (x.host == h && rank.count(y.host) == 0 && host_index.count(y.host) != 0) {
              rank[y.host] = order.size();
              order.push_back(y.host);
              queue.push_back(y.host);
            }
          }
        }
      }
    };
    if (!start.empty()) {
      visit_from(start);
    }
    for (const auto& h : s.hosts) {
      if (rank.count(h.name) == 0) {
        visit_from(h.name);
      }
    }
    const auto peer_of = [&](const std::string& host, const std::string& iface) -> const scenario::LinkEnd* {
      for (const auto& link : s.links) {
        if (link.a.host == host && link.a.interface == iface) {
          return &link.b;
        }
        if (link.b.host == host && link.b.interface == iface) {
          return &link.a;
        }
      }
      return nullptr;
    };
    for (const std::string& name : order) {
      const scenario::HostSpec& host = s.hosts[host_index[name]];
      std::vector<std::pair<int, const scenario::InterfaceSpec*>> ranked;
      for (const auto& iface : host.interfaces) {
        const scenario::LinkEnd* peer = peer_of(name, iface.name);
        int group = 1;
        if (peer != nullptr) {
          group = rank.count(peer->host) != 0 && rank[peer->host] < rank[name] ? 0 : 2;
        }
        ranked.emplace_back(group, &iface);
      }
      std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      for (const auto& [group, iface] : ranked) {
        Lane lane;
        lane.label = name + "-" + iface->name;
        lane.host = name;
        lane.interface = iface->name;
        lane.kind = iface->kind;
        lane.address = address_text(iface->address);
        lane.prefix = iface->prefix_length;
        lane.mtu = iface->mtu;
        add_lane(std::move(lane));
      }
    }
    for (const auto& link : s.links) {
      const auto a = lane_of.find(link.a.host + "-" + link.a.interface);
      const auto b = lane_of.find(link.b.host + "-" + link.b.interface);
      if (a != lane_of.end() && b != lane_of.end()) {
        lanes[static_cast<std::size_t>(a->second)].peer = b->second;
        lanes[static_cast<std::size_t>(b->second)].peer = a->second;
      }
    }
  }

  int add_lane(Lane lane) {
    const int index = static_cast<int>(lanes.size());
    lane_of[lane.label] = index;
    host_lanes[lane.host].push_back(index);
    lanes.push_back(std::move(lane));
    lane_time.emplace_back();
    lane_proto.push_back({});
    lane_bytes.push_back(0);
    return index;
  }

  int lane_for(const std::string& label) {
    if (const auto it = lane_of.find(label); it != lane_of.end()) {
      return it->second;
    }
    Lane lane;  // an interface the scenario does not name (never in the simulator)
    lane.label = label;
    const std::size_t dash = label.find('-');
    lane.host = label.substr(0, dash);
    lane.interface = dash == std::string::npos ? label : label.substr(dash + 1);
    return add_lane(std::move(lane));
  }

  std::size_t bucket(std::int64_t at_ns) {
    const auto index = [&] { return static_cast<std::size_t>(std::max<std::int64_t>(at_ns, 0) / bucket_ns); };
    while (index() >= kTimeBuckets) {
      bucket_ns *= 2;
      const auto merge = [](std::vector<std::uint64_t>& series) {
        std::vector<std::uint64_t> merged((series.size() + 1) / 2, 0);
        for (std::size_t i = 0; i < series.size(); ++i) {
          merged[i / 2] += series[i];
        }
        series = std::move(merged);
      };
      for (auto& series : lane_time) {
        merge(series);
      }
      for (auto& [reason, series] : drop_time) {
        merge(series);
      }
    }
    return index();
  }

  static void count_at(std::vector<std::uint64_t>& series, std::size_t at) {
    if (series.size() <= at) {
      series.resize(at + 1, 0);
    }
    ++series[at];
  }

  void remember_origin(std::uint32_t origin, std::uint32_t id) {
    id_of_origin[origin] = id;
    origin_order.push_back(origin);
    while (origin_order.size() > limits.recent_packets + limits.first_packets + limits.failed_packets) {
      // Detailed packets stay findable (a late drop still lands on them); they are bounded.
      const auto it = id_of_origin.find(origin_order.front());
      if (it != id_of_origin.end()) {
        const auto p = packets.find(it->second);
        if (p == packets.end() || !p->second.detailed) {
          id_of_origin.erase(it);
        }
      }
      origin_order.pop_front();
    }
  }

  void remember_key(const HeaderKey& key, std::uint32_t id) {
    // The latest packet with a header wins: the one a later hop most likely continues.
    if (id_of_key.insert_or_assign(key, id).second) {
      key_order.push_back(key);
    }
    while (key_order.size() > 4 * (limits.recent_packets + limits.first_packets + limits.failed_packets)) {
      id_of_key.erase(key_order.front());
      key_order.pop_front();
    }
  }

  void promote(PacketInfo& p) {
    p.detailed = true;
    if (const auto it = pending.find(p.id); it != pending.end()) {
      for (RawHop& hop : it->second.hops) {
        hops.push_back(std::move(hop));
      }
      pending.erase(it);
    }
    if (const auto it = std::find(recent.begin(), recent.end(), p.id); it != recent.end()) {
      recent.erase(it);
    }
  }

  PacketInfo& new_packet(std::uint32_t origin, std::int64_t at_ns, const std::optional<Ipv4View>& ip) {
    PacketInfo p;
    p.id = next_id++;
    p.origin = origin;
    p.first_ns = at_ns;
    if (ip) {
      const Ipv4View in = innermost(*ip);
      p.first = header_json(in);
      if (in.protocol() == ipproto::kIcmp && p.first.contains("it")) {
        const auto type = p.first["it"].get<int>();
        p.kind = is_icmp_error_type(static_cast<std::uint8_t>(type))        ? 'e'
                 : (type == icmp::kEchoReply || type == icmp::kEchoRequest) ? 'p'
                                                                            : 'o';
      } else {
        p.kind = in.protocol() == ipproto::kUdp || in.protocol() == ipproto::kTcp ? 'd' : 'o';
      }
      if (p.kind == 'e') {
        if (const auto icmp = IcmpView::parse(in.payload())) {
          if (auto quoted = Ipv4View::parse(icmp->quoted())) {
            p.quote = key_of(*quoted);
            for (const HeaderKey& k : {key_of(innermost(*quoted)), key_of(*quoted)}) {
              if (const auto it = id_of_key.find(k); it != id_of_key.end()) {
                p.cause = it->second;
                break;
              }
            }
          }
        }
      }
      remember_key(key_of(in), p.id);
      remember_key(key_of(*ip), p.id);
      sizes[std::min<std::size_t>(in.total_length() / kSizeBin, kSizeBins - 1)]++;
    }
    if (origin != 0) {
      remember_origin(origin, p.id);
    }
    const auto cause = packets.find(p.cause);
    const bool cause_detailed = cause != packets.end() && cause->second.detailed;
    if (first_detailed < limits.first_packets) {
      ++first_detailed;
      p.detailed = true;
    } else if ((p.kind == 'e' || cause_detailed) && failed_detailed < limits.failed_packets) {
      ++failed_detailed;
      p.detailed = true;
    }
    const std::uint32_t id = p.id;
    auto [it, inserted] = packets.emplace(id, std::move(p));
    if (!it->second.detailed) {
      recent.push_back(id);
      while (recent.size() > limits.recent_packets) {
        pending.erase(recent.front());
        packets.erase(recent.front());
        recent.pop_front();
      }
    }
    return it->second;
  }

  PacketInfo* find_packet(std::uint32_t origin, const std::optional<Ipv4View>& ip, int crossing) {
    std::uint32_t id = 0;
    if (origin != 0) {
      if (const auto it = id_of_origin.find(origin); it != id_of_origin.end()) {
        id = it->second;
      }
    } else if (ip) {
      const HeaderKey k = key_of(innermost(*ip));
      if (const auto it = id_of_key.find(k); it != id_of_key.end()) {
        id = it->second;
      }
    }
    const auto it = packets.find(id);
    if (it == packets.end()) {
      return nullptr;
    }
    // Without an origin, the same header crossing the same place again is another packet (app
    // B's ICMP errors all look alike).
    if (origin == 0 && crossing >= 0 &&
        std::find(it->second.crossed.begin(), it->second.crossed.end(), crossing) != it->second.crossed.end()) {
      return nullptr;
    }
    return &it->second;
  }

  // Whether an expectation about `host`'s application looks at this hop: a packet handed to the
  // host's stack on one of its tun/tap interfaces (any interface when it has none).
  bool delivery_hop(const std::string& host, const Lane& lane, bool outgoing) const {
    if (outgoing || lane.host != host) {
      return false;
    }
    bool has_tunnel_device = false;
    for (const int l : host_lanes.at(host)) {
      has_tunnel_device = has_tunnel_device || lanes[static_cast<std::size_t>(l)].kind != InterfaceKind::ethernet;
    }
    return !has_tunnel_device || lane.kind != InterfaceKind::ethernet;
  }

  std::vector<std::size_t> expectations_of_hop(const Lane& lane, bool outgoing, const Ipv4View& ip) const {
    std::vector<std::size_t> hit;
    const Ipv4View in = innermost(ip);
    const auto icmp =
        in.protocol() == ipproto::kIcmp && !in.is_fragment() ? IcmpView::parse(in.payload()) : std::nullopt;
    // Only the lane's own host can be handed the packet here (delivery_hop).
    const scenario::detail::HopCrossing crossing{
        lane.label, ip, in, icmp,
        delivery_hop(lane.host, lane, outgoing) ? std::string_view(lane.host) : std::string_view()};
    for (std::size_t i = 0; i < s.expectations.size(); ++i) {
      const scenario::Expectation& e = s.expectations[i];
      const auto report_hop = scenario::detail::expect_kind(e.kind).report_hop;
      if (report_hop != nullptr && report_hop(e, crossing)) {
        hit.push_back(i);
      }
    }
    return hit;
  }

  void hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView bytes) {
    ++hop_count;
    last_ns = std::max(last_ns, at_ns);
    const int lane_index = lane_for(label);
    const auto li = static_cast<std::size_t>(lane_index);
    count_at(lane_time[li], bucket(at_ns));
    lane_bytes[li] += bytes.size();
    const std::optional<Ipv4View> ip = Ipv4View::parse(bytes);
    if (ip && outgoing && ip->protocol() == ipproto::kIpip) {
      // What each tunnel end actually put in its outer headers, whatever its configuration says.
      for (std::size_t i = 0; i < s.tunnels.size(); ++i) {
        if (s.tunnels[i].config.local == ip->src() && lanes[li].host == s.tunnels[i].host) {
          seen_outer[i].first.insert(ip->ttl());
          seen_outer[i].second.insert(ip->tos());
        }
      }
    }
    std::size_t proto = 5;
    if (ip) {
      proto = ip->is_fragment()                  ? 4
              : ip->protocol() == ipproto::kIpip ? 0
              : ip->protocol() == ipproto::kUdp  ? 1
              : ip->protocol() == ipproto::kTcp  ? 2
              : ip->protocol() == ipproto::kIcmp ? 3
                                                 : 5;
    }
    ++lane_proto[li][proto];

    const int crossing = lane_index * 2 + (outgoing ? 1 : 0);
    PacketInfo* p = find_packet(origin, ip, crossing);
    if (p == nullptr) {
      p = &new_packet(origin, at_ns, ip);
    }
    if (origin == 0) {
      p->crossed.push_back(crossing);
    }
    if (!outgoing) {
      p->arrived = lanes[li].host;
    }
    if (const auto w = expectations_at_lane.find(lane_index); w != expectations_at_lane.end()) {
      for (const std::size_t i : w->second) {
        if (watched[i].size() < kWatchedPackets) {
          watched[i].emplace_back(p->id, p->origin);
        }
      }
    }
    RawHop h;
    h.n = hop_count;
    h.t = at_ns;
    h.lane = lane_index;
    h.outgoing = outgoing;
    h.id = p->id;
    h.size = bytes.size();
    if (ip) {
      h.hits = expectations_of_hop(lanes[li], outgoing, *ip);
      for (const std::size_t i : h.hits) {
        ++expect_hits[i];
      }
    }
    // A packet in thousands of fragments is still one packet: what is kept of it is bounded too.
    if (p->hops_kept >= limits.hops_per_packet || hops.size() >= limits.detailed_hops) {
      ++hops_omitted;
      return;
    }
    ++p->hops_kept;
    h.head_size = std::min(bytes.size(), h.head.size());
    std::copy_n(bytes.begin(), h.head_size, h.head.begin());
    if (p->detailed) {
      hops.push_back(std::move(h));
    } else {
      pending[p->id].hops.push_back(std::move(h));
    }
  }

  static Json hop_json(const RawHop& raw) {
    Json h;
    h["n"] = raw.n;
    h["t"] = raw.t;
    h["l"] = raw.lane;
    h["o"] = raw.outgoing ? 1 : 0;
    h["p"] = raw.id;
    if (const auto ip = Ipv4View::parse(ByteView(raw.head.data(), raw.head_size))) {
      h["h"] = header_json(*ip);
      if (ip->protocol() == ipproto::kIpip && ip->fragment_offset_bytes() == 0) {
        if (auto inner = Ipv4View::parse(ip->payload())) {
          h["i"] = header_json(*inner);
        }
      }
    } else {
      h["len"] = raw.size;
    }
    if (!raw.hits.empty()) {
      h["x"] = raw.hits;
    }
    return h;
  }

  void drop(std::int64_t at_ns, const DropPlace& place, std::uint32_t origin, std::string_view reason, ByteView bytes) {
    ++drop_count;
    last_ns = std::max(last_ns, at_ns);
    const std::string why(reason);
    count_at(drop_time[why], bucket(at_ns));
    int lane = -1;
    if (!place.interface.empty()) {
      lane = lane_for(place.interface);
    }
    ++drops_by_place[why + "|" + place.host + "|" + (lane >= 0 ? lanes[static_cast<std::size_t>(lane)].label : "")];
    if (origin != 0 && drop_events.size() < kMaxListedDrops) {
      drop_events.push_back({origin, at_ns, place_id(place.host, lane, place.on_link), reason_id(why)});
      drop_events_sorted = false;
    }
    const std::optional<Ipv4View> ip = Ipv4View::parse(bytes);
    PacketInfo* p = find_packet(origin, ip, -1);
    if (p == nullptr) {
      p = &new_packet(origin, at_ns, ip);
    }
    if (!p->detailed && failed_detailed < limits.failed_packets) {
      ++failed_detailed;
      promote(*p);
    }
    if (p->dropped.empty()) {
      p->dropped = why;
    }
    std::vector<std::size_t> hit;
    for (std::size_t i = 0; i < s.expectations.size(); ++i) {
      const scenario::Expectation& e = s.expectations[i];
      const auto report_drop = scenario::detail::expect_kind(e.kind).report_drop;
      if (report_drop != nullptr && report_drop(e, why)) {
        hit.push_back(i);
        ++expect_hits[i];
      }
    }
    if (!p->detailed) {
      return;
    }
    if (p->drops_kept >= limits.drops_per_packet || drops.size() >= limits.detailed_drops) {
      ++drops_omitted;
      return;
    }
    ++p->drops_kept;
    ++drops_detailed;
    Json d;
    d["n"] = hop_count;
    d["t"] = at_ns;
    d["p"] = p->id;
    d["r"] = why;
    d["host"] = place.host;
    d["l"] = lane;
    if (place.on_link) {
      d["link"] = 1;
    }
    if (ip) {
      d["h"] = header_json(*ip);
    }
    if (!hit.empty()) {
      d["x"] = hit;
    }
    drops.push_back(std::move(d));
  }

  // The drop list, columns apart (a million rows stay a few bytes each): origin, reason, place and
  // time of every dropped packet the summary counts, or, when the backend does not say which
  // packets ended dropped, of the first drop event of each tagged packet.
  Json drop_list_json() const {
    std::vector<DropEvent> rows = fates_known ? listed_drops : std::vector<DropEvent>{};
    if (!fates_known) {
      std::vector<DropEvent> events = drop_events;
      std::stable_sort(events.begin(), events.end(),
                       [](const DropEvent& a, const DropEvent& b) { return a.origin < b.origin; });
      for (const DropEvent& e : events) {
        if (rows.empty() || rows.back().origin != e.origin) {
          rows.push_back(e);
        }
      }
    }
    Json list;
    list["fates"] = fates_known;
    list["reasons"] = drop_reasons;
    Json places = Json::array();
    for (const auto& [host, lane, on_link] : drop_places) {
      places.push_back({host, lane, on_link ? 1 : 0});
    }
    list["places"] = places;
    std::vector<std::uint32_t> origin, reason;
    std::vector<std::int64_t> place, t;
    for (const DropEvent& e : rows) {
      origin.push_back(e.origin);
      reason.push_back(e.reason);
      place.push_back(e.place == UINT32_MAX ? -1 : static_cast<std::int64_t>(e.place));
      t.push_back(e.t);
    }
    list["origin"] = origin;
    list["reason"] = reason;
    list["place"] = place;
    list["t"] = t;
    list["unlisted"] = drops_unlisted;
    return list;
  }

  Json topology_json() const {
    Json t;
    t["name"] = s.name;
    t["description"] = s.description;
    t["file"] = s.file.string();
    Json hosts = Json::array();
    for (const auto& h : s.hosts) {
      Json host;
      host["name"] = h.name;
      host["router"] = h.forwarding;
      Json routes = Json::array();
      for (const auto& r : h.routes) {
        std::string text = r.prefix_length == 0 ? std::string("default")
                                                : fmt::format("{}/{}", address_text(r.prefix), r.prefix_length);
        if (r.via) {
          text += " via " + address_text(*r.via);
        }
        routes.push_back(text + " dev " + r.device);
      }
      host["routes"] = routes;
      if (!h.udp_listen.empty()) {
        host["listen"] = h.udp_listen;
      }
      hosts.push_back(host);
    }
    t["hosts"] = hosts;
    Json lane_list = Json::array();
    for (const Lane& l : lanes) {
      Json lane;
      lane["label"] = l.label;
      lane["host"] = l.host;
      lane["if"] = l.interface;
      lane["kind"] = l.kind == InterfaceKind::tun ? "tun" : l.kind == InterfaceKind::tap ? "tap" : "eth";
      lane["addr"] = l.address;
      lane["prefix"] = l.prefix;
      lane["mtu"] = l.mtu;
      lane["peer"] = l.peer;
      lane_list.push_back(lane);
    }
    t["lanes"] = lane_list;
    Json links = Json::array();
    for (const auto& link : s.links) {
      Json j;
      j["a"] = link.a.host + "-" + link.a.interface;
      j["b"] = link.b.host + "-" + link.b.interface;
      j["mtu"] = link.mtu;
      j["delay_ns"] = link.delay_ns;
      if (link.queue_packets > 0) {
        j["queue"] = link.queue_packets;
      }
      if (link.rate_bps > 0) {
        j["rate_bps"] = link.rate_bps;
      }
      links.push_back(j);
    }
    t["links"] = links;
    Json tunnels = Json::array();
    for (const auto& tunnel : s.tunnels) {
      const TunnelConfig& c = tunnel.config;
      Json j;
      j["host"] = tunnel.host;
      j["device"] = tunnel.host + "-" + tunnel.device;
      j["local"] = address_text(c.local);
      j["remote"] = address_text(c.remote);
      j["ttl"] = c.ttl_mode == TtlMode::inherit ? std::string("inherit") : std::to_string(c.ttl);
      j["tos"] = c.tos_mode == TosMode::copy ? std::string("copy") : fmt::format("0x{:02x}", c.tos);
      j["ecn"] = c.ecn_mode == EcnMode::normal ? "normal" : "compat";
      j["pmtudisc"] = c.pmtudisc;
      j["underlay_mtu"] = c.underlay_mtu;
      // Which app B ran, and the outer TTLs and TOS bytes it was seen sending: an app other than
      // tunlab's engine may ignore the configured policy, and the banner must not claim it.
      j["app"] = tunnel.kernel_ipip        ? std::string("kernel ipip")
                 : !tunnel.command.empty() ? "command " + tunnel.command
                                           : tunnel.app;
      const auto index = static_cast<std::size_t>(&tunnel - s.tunnels.data());
      if (const auto seen = seen_outer.find(index); seen != seen_outer.end()) {
        j["seen_ttl"] = std::vector<int>(seen->second.first.begin(), seen->second.first.end());
        Json tos = Json::array();
        for (const int byte : seen->second.second) {
          tos.push_back(fmt::format("0x{:02x}", byte));
        }
        j["seen_tos"] = tos;
      }
      tunnels.push_back(j);
    }
    t["tunnels"] = tunnels;
    Json faults = Json::array();
    for (const auto& f : s.link_faults) {
      Json j;
      j["from"] = f.from.host + "-" + f.from.interface;
      const auto add = [&](const char* key, double p) {
        if (p > 0) {
          j[key] = p;
        }
      };
      add("loss", f.loss);
      add("duplicate", f.duplicate);
      add("reorder", f.reorder);
      add("corrupt", f.corrupt);
      if (f.jitter_ns > 0) {
        j["jitter_ns"] = f.jitter_ns;
      }
      const auto add_nth = [&](const char* key, const std::vector<std::uint64_t>& nth) {
        if (!nth.empty()) {
          j[key] = nth;
        }
      };
      add_nth("drop_nth", f.drop_nth);
      add_nth("corrupt_nth", f.corrupt_nth);
      add_nth("reorder_nth", f.reorder_nth);
      add_nth("duplicate_nth", f.duplicate_nth);
      faults.push_back(j);
    }
    for (const auto& f : s.device_faults) {
      Json j;
      j["from"] = f.host + "-" + f.device;
      if (f.eagain > 0) {
        j["eagain"] = f.eagain;
      }
      if (f.read_buffer > 0) {
        j["read_buffer"] = f.read_buffer;
      }
      if (f.down_at_ns) {
        j["down_at_ns"] = *f.down_at_ns;
      }
      if (f.up_at_ns) {
        j["up_at_ns"] = *f.up_at_ns;
      }
      faults.push_back(j);
    }
    t["faults"] = faults;
    Json changes = Json::array();
    for (const auto& c : s.link_changes) {
      Json j;
      j["at_ns"] = c.at_ns;
      j["link"] = c.link.host + "-" + c.link.interface;
      if (c.mtu) {
        j["mtu"] = *c.mtu;
      }
      if (c.up) {
        j["up"] = *c.up;
      }
      changes.push_back(j);
    }
    t["changes"] = changes;
    Json expectations = Json::array();
    for (std::size_t i = 0; i < s.expectations.size(); ++i) {
      const scenario::Expectation& e = s.expectations[i];
      Json j;
      j["kind"] = std::string(scenario::detail::expect_kind(e.kind).report_name);
      if (!e.hop.empty()) {
        j["hop"] = e.hop;
      }
      if (!e.host.empty()) {
        j["host"] = e.host;
      }
      j["hits"] = expect_hits[i];
      if (!watched[i].empty()) {
        Json w = Json::array();
        for (const auto& [id, origin] : watched[i]) {
          w.push_back({id, origin});
        }
        j["watch"] = w;
      }
      expectations.push_back(j);
    }
    t["expectations"] = expectations;
    return t;
  }

  Json to_json() const {
    Json j;
    j["topology"] = topology_json();
    Json packet_list = Json::array();
    for (const auto& [id, p] : packets) {
      if (!p.detailed) {
        continue;
      }
      Json pj;
      pj["id"] = id;
      if (p.origin != 0) {
        pj["origin"] = p.origin;
      }
      pj["k"] = std::string(1, p.kind);
      pj["t"] = p.first_ns;
      if (p.cause != 0) {
        pj["cause"] = p.cause;
      }
      if (!p.dropped.empty()) {
        pj["dropped"] = p.dropped;
      }
      if (!p.relay.empty()) {
        pj["relay"] = p.relay;
      }
      if (!p.first.is_null()) {
        pj["h"] = p.first;
      }
      packet_list.push_back(pj);
    }
    j["packets"] = packet_list;
    std::vector<const RawHop*> ordered;
    ordered.reserve(hops.size());
    for (const RawHop& h : hops) {
      ordered.push_back(&h);
    }
    std::sort(ordered.begin(), ordered.end(), [](const RawHop* a, const RawHop* b) { return a->n < b->n; });
    Json hop_list = Json::array();
    for (const RawHop* h : ordered) {
      hop_list.push_back(hop_json(*h));
    }
    j["hops"] = hop_list;
    j["drops"] = drops;
    j["droplist"] = drop_list_json();
    Json counts;
    counts["packets"] = next_id - 1;
    counts["packets_detailed"] = first_detailed + failed_detailed;
    counts["hops"] = hop_count;
    counts["hops_detailed"] = hops.size();
    counts["drops"] = drop_count;
    counts["drops_detailed"] = drops_detailed;
    counts["hops_omitted"] = hops_omitted;
    counts["drops_omitted"] = drops_omitted;
    counts["hops_per_packet"] = limits.hops_per_packet;
    counts["first_packets"] = limits.first_packets;
    counts["failed_packets"] = limits.failed_packets;
    counts["end_ns"] = last_ns;
    j["counts"] = counts;
    Json hist;
    hist["bucket_ns"] = bucket_ns;
    Json per_lane = Json::array();
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      Json l;
      l["time"] = lane_time[i];
      l["proto"] = lane_proto[i];
      l["bytes"] = lane_bytes[i];
      per_lane.push_back(l);
    }
    hist["lanes"] = per_lane;
    Json drop_series = Json::object();
    for (const auto& [reason, series] : drop_time) {
      drop_series[reason] = series;
    }
    hist["drops"] = drop_series;
    hist["size_bin"] = kSizeBin;
    hist["sizes"] = sizes;
    Json places = Json::array();
    for (const auto& [key, count] : drops_by_place) {
      places.push_back({key, count});
    }
    hist["drop_places"] = places;
    j["hist"] = hist;
    return j;
  }
};

RunRecorder::RunRecorder(const scenario::Scenario& scenario, RecorderLimits limits)
    : impl_(std::make_unique<Impl>(scenario, limits)) {}

RunRecorder::~RunRecorder() = default;

void RunRecorder::hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView ip) {
  impl_->hop(at_ns, label, outgoing, origin, ip);
}

void RunRecorder::drop(std::int64_t at_ns, const DropPlace& place, std::uint32_t origin, std::string_view reason,
                       ByteView ip) {
  impl_->drop(at_ns, place, origin, reason, ip);
}

void RunRecorder::icmp_decision(std::int64_t /*at_ns*/, const std::string& host, ByteView quoted,
                                std::string_view decision) {
  impl_->icmp_decision(host, quoted, decision);
}

void RunRecorder::packet_dropped(std::uint32_t origin, std::string_view reason) {
  impl_->packet_dropped(origin, reason);
}

std::size_t RunRecorder::packets_seen() const {
  return impl_->next_id - 1;
}

std::size_t RunRecorder::packets_detailed() const {
  return impl_->first_detailed + impl_->failed_detailed;
}

std::string RunRecorder::to_json() const {
  return safe_text::dump_json(impl_->to_json());
}

}  // namespace tunlab::report
