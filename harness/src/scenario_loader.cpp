// Scenario files: YAML (yaml-cpp) -> the scenario model, with every mistake reported as one line
// "FILE:LINE:COL: FIELD: what is wrong". yaml-cpp's own conversions (as<int>) are never used: they
// accept too much ("1.0" as a bool error, "-1" wrapping) and throw without a field name, so every
// scalar is parsed here from its text.
//
// ---- Schema ----------------------------------------------------------------------------------
//
//   name: seed-vpn            # required; [a-z0-9-]+
//   description: text         # optional
//   topology: seed            # seed (default) | custom. custom: `hosts` required, nothing implied.
//   wan_mtu: 1500             # seed only: MTU of both wan links and the interfaces they join
//   seed: 1                   # default RNG seed (the CLI's --seed overrides it)
//   real: false               # true: the scenario can also run against real namespaces
//   run_until: 1s             # end of virtual time; absent or 0 = until the event queue drains
//
//   hosts:                    # custom topology: every host. seed: extra hosts (a seed name is a
//     - name: left            #   duplicate). Host/interface names: [A-Za-z0-9_-], 1..15 chars.
//       forwarding: false     # true = router (forwards, decrements TTL)
//       interfaces:           # kind: ethernet (default) | tun | tap; mtu 68..65535, default 1500
//         - {name: eth0, kind: ethernet, address: 18.12.0.92/24, mtu: 1500}   # /N defaults to /24
//       routes:               # to: default | A.B.C.D/N (no host bits) | A.B.C.D (= /32)
//         - {to: 10.0.0.0/24, dev: tun0}                  # dev: an interface of this host
//         - {to: default, via: 18.12.0.1, dev: eth0}
//       listen: [9000]        # UDP ports the host's app listens on; omitted = every port
//
//   links:                    # joins two ethernet interfaces, given as HOST.INTERFACE
//     - {between: [left.eth0, wan.left], mtu: 1400, delay: 2ms, queue: 100, rate: 10mbit}
//       # seed: `between` naming a seed link (either order) modifies it; otherwise a new link.
//       # mtu also becomes both ends' interface MTU (default: the smaller interface MTU);
//       # delay default 1ms; queue (packets) default 0 = unbounded; rate default 0 = unlimited.
//       # An interface belongs to at most one link.
//
//   tunnels:                  # app B on a tun/tap interface. seed: `host` naming a seed tunnel
//     - host: left            #   modifies it (given fields only); otherwise a new tunnel.
//       app: ipip             # the app B to run (default ipip: tunlab's engine; others are
//                             #   registered by the program that runs the scenario). kernel-ipip:
//                             #   on real, the kernel's ipip device (the simulator runs ipip)
//       command: "my-vpn --dev {dev} --local {local} --remote {remote}"   # instead of app: on
//                             #   real, app B is this program, run in the host's namespace;
//                             #   also {inner} {host} {mtu} {scenario_dir}. Sim runs ipip.
//       device: tun0          # required for new tunnels; a tun or tap interface of the host
//       local: 18.12.0.92     # required for new tunnels; an address of the host
//       remote: 18.13.0.91    # required for new tunnels
//       inner_address: 10.0.0.12   # default: the device's address
//       ttl: 64               # 1..255 | inherit                     (default 64)
//       tos: copy             # copy | a number = the fixed TOS byte  (default copy)
//       ecn: normal           # normal | compat                      (default normal)
//       pmtudisc: false       # outer DF even when the inner DF is clear
//       underlay_mtu: 1500    # default: MTU of the interface the host routes `remote` through
//       pmtu_expiry: 600s     # how long a learned path MTU holds
//       reject_martian_inner: true
//
//   faults:                   # each entry has exactly one of `link` or `device`
//     - {link: wan.right, loss: 0.01, duplicate: 0.001, reorder: 0.02, reorder_delay: 2ms,
//        jitter: 1ms, corrupt: 0.001, drop_nth: [3], corrupt_nth: [5], reorder_nth: [7], duplicate_nth: [9]}
//       # link: HOST.INTERFACE, a link end: faults on the direction leaving it. Probabilities 0..1;
//       # *_nth: 1-based packet numbers on that direction (reorder_nth holds the packet back by
//       # reorder_delay; `tunlab sweep --shrink` writes these). One entry per direction.
//     - {device: right.tun0, eagain: 0.1, read_buffer: 100, queue_limit: 10, down_at: 5ms, up_at: 10ms}
//       # device: a tun/tap interface. read_buffer 1..65535 (default: the MTU); queue_limit default 500.
//
//   changes:                  # at (required), link (required, either end), then mtu and/or up
//     - {at: 10ms, link: wan.right, mtu: 1300}
//     - {at: 20ms, link: wan.right, up: false}
//
//   traffic:                  # at (default 0), from (a host; required except replay: default left),
//                             # count (default 1) and interval (default 1ms), plus exactly one of:
//     - {at: 0ms, from: left, count: 10, interval: 1ms,
//        udp: {dst: "10.0.0.22:9000", size: 64, df: false, tos: 0, ttl: 64, src: 10.0.0.12, src_port: 40000}}
//     - {from: left, ping: {dst: 10.0.0.22, size: 56, df: false, tos: 0, ttl: 64, src: 10.0.0.12}}
//     - {from: left, tcp: {dst: "10.0.0.22:80", flags: "SYN|ACK", size: 0, ...same as udp}}
//       # flags: FIN SYN RST PSH ACK URG ECE CWR joined by |, or a number (default SYN)
//     - {from: wan, raw: "4500 0054 ..."}   # a whole IPv4 packet in hex (spaces ignored)
//     - {at: 5ms, from: left, replay: ../fixtures/mixed-100.pcap}   # relative to this file;
//       # no count/interval. size is payload bytes (udp/ping default 64); src unset = the stack
//       # picks it; dst port default 9000, src_port 40000.
//
//   expect:                   # every entry may have `name` (default: generated from the fields)
//     - {at: right.app, port: 9000, received: 10, bytes: 640}   # port optional; at_least: N
//     - {at: left.app, icmp: {type: 3, code: 4, mtu: 1480}, count: 1}   # code/mtu optional
//     - {at: left.app, echo_replies: 3}
//     - {at: right.app, port: 9000, in_order: true}
//     - {hop: left-eth0, count: 10, outer: {...}, inner: {...}}
//       # hop: HOST-INTERFACE. Match keys (all optional): src dst proto(number or
//       # icmp|tcp|udp|ipip) ttl tos ecn(0..3) dscp(0..63) df length dst_port icmp_type icmp_code
//       # icmp_mtu. inner = the header inside an IPIP packet.
//     - {dropped: {encap-too-big-df: 1, total: 1}}   # names of drop_reason.hpp; total = all reasons
//     - {delivered: 10, injected: 10}                # either or both
//     # count (exact) or at_least; hop and icmp without either mean at_least: 1.
//
// Scalars: numbers are decimal or 0x-hex, never negative; booleans are true/false; durations are
// 0 or a number with ns|us|ms|s (1.5s, 250us); rates are bits/s with an optional k|m|g + "bit"
// (10mbit) or a plain number; probabilities 0..1.
#include "tunlab/harness/scenario_loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "tunlab/harness/input_error.hpp"
#include "tunlab/harness/input_limits.hpp"
#include "tunlab/harness/scalar_text.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::scenario {

namespace {

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 15 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

// Messages quote the user's text; keep them on one line and short.
std::string quote(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 60)) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (text.size() > 60) {
    out += "...";
  }
  return "'" + out + "'";
}

// ---- Values with places --------------------------------------------------------------------

struct Source {
  std::string file;  // as shown in messages
  std::filesystem::path folder;
  // Values visited so far: aliases can make a small file name a huge tree (see limits).
  mutable std::uint64_t values = 0;
  // Packets the traffic entries read so far send.
  mutable std::uint64_t traffic_packets = 0;

  void count_value(const YAML::Mark& mark) const {
    if (++values > limits::kMaxYamlValues) {
      fail(mark, "document",
           fmt::format("more than {} values (aliases repeat too much); a scenario is smaller", limits::kMaxYamlValues));
    }
  }

  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view field, std::string_view what) const {
    const int line = mark.is_null() ? 1 : mark.line + 1;
    const int column = mark.is_null() ? 1 : mark.column + 1;
    throw InputError(fmt::format("{}:{}:{}: {}: {}", file, line, column, field, what));
  }
  SourcePlace place(const YAML::Mark& mark) const {
    return SourcePlace{file, mark.is_null() ? 1 : mark.line + 1, mark.is_null() ? 1 : mark.column + 1};
  }
};

// One node of the document, with its dotted path and a place that is never null (a value that
// has no mark of its own, e.g. an empty `key:`, borrows its key's).
class Value {
public:
  Value(const Source& source, YAML::Node node, std::string path, YAML::Mark fallback)
      : source_(&source), node_(std::move(node)), path_(std::move(path)) {
    const YAML::Mark own = node_.Mark();
    mark_ = own.is_null() ? fallback : own;
    source.count_value(mark_);
  }
  // The same, placed at `mark` whatever the node says.
  Value(const Source& source, YAML::Node node, std::string path, YAML::Mark mark, bool /*placed*/)
      : source_(&source), node_(std::move(node)), path_(std::move(path)), mark_(mark) {
    source.count_value(mark_);
  }

  const std::string& path() const { return path_; }
  const YAML::Mark& mark() const { return mark_; }
  const YAML::Node& node() const { return node_; }
  SourcePlace place() const { return source_->place(mark_); }
  const Source& source() const { return *source_; }
  [[noreturn]] void fail(std::string_view what) const { source_->fail(mark_, path_, what); }

  std::string what_it_is() const {
    switch (node_.Type()) {
      case YAML::NodeType::Map:
        return "a mapping";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Scalar:
        return quote(node_.Scalar());
      default:
        return "nothing";
    }
  }
  [[noreturn]] void wrong(std::string_view expected) const {
    fail(fmt::format("expected {}, got {}", expected, what_it_is()));
  }

  // The scalar text; `expected` names what should be here, for the message.
  const std::string& scalar(std::string_view expected) const {
    if (!node_.IsScalar()) {
      wrong(expected);
    }
    return node_.Scalar();
  }

  std::string text() const { return scalar("a string"); }

  std::uint64_t number(std::uint64_t low, std::uint64_t high) const {
    const std::string& s = scalar("a number");
    const auto value = parse_unsigned(s);
    if (!value) {
      wrong("a number");
    }
    if (*value < low || *value > high) {
      fail(fmt::format("{} is out of range {}..{}", s, low, high));
    }
    return *value;
  }
  template <typename T>
  T number_as(std::uint64_t low = 0, std::uint64_t high = std::numeric_limits<T>::max()) const {
    return static_cast<T>(number(low, high));
  }

  bool boolean() const {
    const std::string& s = scalar("true or false");
    if (s == "true") {
      return true;
    }
    if (s == "false") {
      return false;
    }
    wrong("true or false");
  }

  Nanos duration() const {
    const auto value = parse_duration(scalar("a duration like 0, 250us, 2ms or 1.5s"));
    if (!value) {
      wrong("a duration like 0, 250us, 2ms or 1.5s");
    }
    if (*value > limits::kMaxDurationNs) {
      fail(fmt::format("{} is longer than the {}s a run may last", node_.Scalar(),
                       limits::kMaxDurationNs / 1'000'000'000));
    }
    return *value;
  }

  std::uint64_t rate() const {
    const auto value = parse_rate(scalar("a rate like 10mbit, 500kbit or a number of bits/s"));
    if (!value) {
      wrong("a rate like 10mbit, 500kbit or a number of bits/s");
    }
    return *value;
  }

  double probability() const {
    const auto value = parse_probability(scalar("a probability between 0 and 1"));
    if (!value) {
      wrong("a probability between 0 and 1");
    }
    return *value;
  }

  Ipv4Address address() const {
    const auto value = parse_address(scalar("an IPv4 address like 10.0.0.1"));
    if (!value) {
      wrong("an IPv4 address like 10.0.0.1");
    }
    return *value;
  }

  std::size_t mtu() const { return number_as<std::size_t>(kMinimumTunnelMtu, 65535); }

  // A list's items, each with path "path[i]".
  std::vector<Value> items(std::string_view expected = "a list") const {
    if (!node_.IsSequence()) {
      wrong(expected);
    }
    std::vector<Value> out;
    for (std::size_t i = 0; i < node_.size(); ++i) {
      out.emplace_back(*source_, node_[i], fmt::format("{}[{}]", path_, i), mark_);
    }
    return out;
  }

private:
  const Source* source_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
};

// A mapping whose keys were checked against the allowed ones (and for duplicates) on construction.
class Map {
public:
  Map(const Value& value, std::vector<std::string_view> allowed, std::string_view expected = "a mapping")
      : self_(value) {
    if (!value.node().IsMap()) {
      value.wrong(expected);
    }
    for (auto it = value.node().begin(); it != value.node().end(); ++it) {
      const YAML::Node key_node = it->first;
      const YAML::Mark key_mark = key_node.Mark().is_null() ? value.mark() : key_node.Mark();
      if (!key_node.IsScalar()) {
        value.source().fail(key_mark, value.path().empty() ? std::string("document") : value.path(),
                            "keys must be plain names");
      }
      const std::string key = key_node.Scalar();
      const std::string path = value.path().empty() ? key : value.path() + "." + key;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        // A key like "delay 2ms" (missing colon) would make an unreadable field path: name the
        // mapping instead; the message quotes the key anyway.
        const bool plain =
            std::all_of(key.begin(), key.end(),
                        [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }) &&
            !key.empty();
        const std::string field = plain ? path : value.path().empty() ? std::string("document") : value.path();
        std::vector<std::string> names(allowed.begin(), allowed.end());
        // Suggest the closest allowed key when it is plausibly a typo or a shortened name.
        std::string hint;
        std::size_t best = std::max<std::size_t>(2, key.size() / 4) + 1;
        for (std::string_view candidate : allowed) {
          const std::size_t distance = edit_distance(key, candidate);
          if (distance < best) {
            best = distance;
            hint = fmt::format(" (did you mean '{}'?)", candidate);
          }
        }
        value.source().fail(key_mark, field,
                            fmt::format("unknown key {}{}; allowed: {}", quote(key), hint, join(names)));
      }
      for (const auto& [seen, seen_value] : entries_) {
        if (seen == key) {
          value.source().fail(key_mark, path,
                              fmt::format("duplicate key (first given at line {})", seen_value.mark().line + 1));
        }
      }
      // yaml-cpp places an empty value (`key:`) at the next token, often the next line: point
      // at the key instead.
      entries_.emplace_back(key, it->second.IsNull() ? Value(value.source(), it->second, path, key_mark, true)
                                                     : Value(value.source(), it->second, path, key_mark));
    }
  }

  const Value& self() const { return self_; }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  const Value* find(std::string_view key) const {
    for (const auto& [name, value] : entries_) {
      if (name == key) {
        return &value;
      }
    }
    return nullptr;
  }
  std::optional<Value> get(std::string_view key) const {
    const Value* v = find(key);
    return v ? std::optional<Value>(*v) : std::nullopt;
  }
  const Value& require(std::string_view key) const {
    const Value* v = find(key);
    if (!v) {
      missing(key);
    }
    return *v;
  }
  [[noreturn]] void missing(std::string_view key, std::string_view why = "") const {
    const std::string path = self_.path().empty() ? std::string(key) : self_.path() + "." + std::string(key);
    self_.source().fail(self_.mark(), path, fmt::format("missing required field{}", why));
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& entry : entries_) {
      out.push_back(entry.first);
    }
    return out;
  }

private:
  Value self_;
  std::vector<std::pair<std::string, Value>> entries_;
};

// ---- The loader -------------------------------------------------------------------------------

class Loader {
public:
  Loader(const Source& source, Scenario& scenario) : source_(source), s_(scenario) {}

  void load(const YAML::Node& root);

private:
  void load_hosts(const Value& list);
  void load_links(const Value& list);
  void load_tunnels(const Value& list);
  void derive_underlay_mtus();
  void load_faults(const Value& list);
  void load_changes(const Value& list);
  void load_traffic(const Value& list);
  void load_expectations(const Value& list);
  Expectation load_expectation(const Value& item);
  HeaderMatch load_match(const Value& value);

  HostSpec& host_named(const Value& value, const std::string& name);
  std::string host_names() const;
  // "host.iface" -> the host and interface, both checked to exist.
  std::pair<HostSpec*, InterfaceSpec*> interface_ref(const Value& value, std::string_view expected);
  // A link end "host.iface": the index of the link it belongs to.
  std::size_t link_of(const Value& value, LinkEnd& end);
  std::string link_ends() const;

  const Source& source_;
  Scenario& s_;
  std::vector<SourcePlace> host_places_;             // where each host was declared (unset for seed hosts)
  std::vector<bool> underlay_mtu_given_;             // per tunnel: underlay_mtu set in the file
  std::vector<std::optional<Value>> tunnel_values_;  // per tunnel: its entry, to check `local`
};

std::string Loader::host_names() const {
  std::vector<std::string> names;
  for (const HostSpec& host : s_.hosts) {
    names.push_back(host.name);
  }
  return join(names);
}

HostSpec& Loader::host_named(const Value& value, const std::string& name) {
  for (HostSpec& host : s_.hosts) {
    if (host.name == name) {
      return host;
    }
  }
  value.fail(fmt::format("no host {} (hosts: {})", quote(name), host_names()));
}

std::pair<HostSpec*, InterfaceSpec*> Loader::interface_ref(const Value& value, std::string_view expected) {
  const std::string text = value.scalar(expected);
  const std::size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size() || text.find('.', dot + 1) != std::string::npos) {
    value.wrong(expected);
  }
  HostSpec& host = host_named(value, text.substr(0, dot));
  const std::string iface_name = text.substr(dot + 1);
  for (InterfaceSpec& iface : host.interfaces) {
    if (iface.name == iface_name) {
      return {&host, &iface};
    }
  }
  std::vector<std::string> names;
  for (const InterfaceSpec& iface : host.interfaces) {
    names.push_back(iface.name);
  }
  value.fail(fmt::format("host {} has no interface {} (interfaces: {})", quote(host.name), quote(iface_name),
                         names.empty() ? std::string("none") : join(names)));
}

std::string Loader::link_ends() const {
  std::vector<std::string> ends;
  for (const LinkSpec& link : s_.links) {
    ends.push_back(link.a.describe());
    ends.push_back(link.b.describe());
  }
  return ends.empty() ? std::string("none") : join(ends);
}

std::size_t Loader::link_of(const Value& value, LinkEnd& end) {
  const auto [host, iface] = interface_ref(value, "a link end HOST.INTERFACE like wan.right");
  end = LinkEnd{host->name, iface->name};
  for (std::size_t i = 0; i < s_.links.size(); ++i) {
    const LinkSpec& link = s_.links[i];
    if ((link.a.host == end.host && link.a.interface == end.interface) ||
        (link.b.host == end.host && link.b.interface == end.interface)) {
      return i;
    }
  }
  value.fail(fmt::format("{} is not joined by any link (link ends: {})", end.describe(), link_ends()));
}

void Loader::load(const YAML::Node& root) {
  const Value doc(source_, root, "", YAML::Mark());
  if (!root.IsMap()) {
    source_.fail(doc.mark(), "document",
                 fmt::format("expected a mapping of scenario fields, got {}", doc.what_it_is()));
  }
  const Map top(doc, {"name", "description", "topology", "wan_mtu", "seed", "real", "run_until", "hosts", "links",
                      "tunnels", "faults", "changes", "traffic", "expect"});

  const Value& name = top.require("name");
  s_.name = name.text();
  if (s_.name.empty() || !std::all_of(s_.name.begin(), s_.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      })) {
    name.fail(fmt::format("{} is not a valid name: use lowercase letters, digits and '-'", quote(s_.name)));
  }
  if (auto v = top.get("description")) {
    s_.description = v->text();
  }

  std::string topology = "seed";
  if (auto v = top.get("topology")) {
    topology = v->scalar("seed or custom");
    if (topology != "seed" && topology != "custom") {
      v->wrong("seed or custom");
    }
  }
  std::size_t wan_mtu = 1500;
  if (auto v = top.get("wan_mtu")) {
    if (topology != "seed") {
      v->fail("only valid with topology: seed");
    }
    wan_mtu = v->mtu();
  }
  if (topology == "seed") {
    Scenario seed = seed_topology(wan_mtu);
    s_.hosts = std::move(seed.hosts);
    s_.links = std::move(seed.links);
    s_.tunnels = std::move(seed.tunnels);
    s_.topology = "seed";
  } else {
    s_.topology = "custom";
    if (!top.has("hosts")) {
      top.missing("hosts", " (topology: custom describes every host)");
    }
  }
  host_places_.assign(s_.hosts.size(), SourcePlace{});
  underlay_mtu_given_.assign(s_.tunnels.size(), false);
  tunnel_values_.assign(s_.tunnels.size(), std::nullopt);

  if (auto v = top.get("seed")) {
    s_.seed = v->number(0, std::numeric_limits<std::uint64_t>::max());
  }
  if (auto v = top.get("real")) {
    s_.real = v->boolean();
  }
  if (auto v = top.get("run_until")) {
    s_.run_until_ns = v->duration();
  }

  // Order matters: links refer to hosts, tunnels to interfaces, faults to links, ...
  if (auto v = top.get("hosts")) {
    load_hosts(*v);
  }
  if (auto v = top.get("links")) {
    load_links(*v);
  }
  if (auto v = top.get("tunnels")) {
    load_tunnels(*v);
  }
  derive_underlay_mtus();
  if (auto v = top.get("faults")) {
    load_faults(*v);
  }
  if (auto v = top.get("changes")) {
    load_changes(*v);
  }
  if (auto v = top.get("traffic")) {
    load_traffic(*v);
  }
  if (auto v = top.get("expect")) {
    load_expectations(*v);
  }
}

void Loader::load_hosts(const Value& list) {
  for (const Value& item : list.items("a list of hosts")) {
    const Map m(item, {"name", "forwarding", "interfaces", "routes", "listen"});
    HostSpec host;
    const Value& name = m.require("name");
    host.name = name.text();
    if (!valid_name(host.name)) {
      name.fail(fmt::format("{} is not a valid host name: 1-15 of A-Z a-z 0-9 _ -", quote(host.name)));
    }
    for (std::size_t i = 0; i < s_.hosts.size(); ++i) {
      if (s_.hosts[i].name == host.name) {
        name.fail(fmt::format("duplicate host name {} (already {})", quote(host.name),
                              host_places_[i].line == 0 ? std::string("a seed topology host")
                                                        : "declared at line " + std::to_string(host_places_[i].line)));
      }
    }
    if (auto v = m.get("forwarding")) {
      host.forwarding = v->boolean();
    }
    if (auto v = m.get("interfaces")) {
      for (const Value& entry : v->items("a list of interfaces")) {
        const Map im(entry, {"name", "kind", "address", "mtu"});
        InterfaceSpec iface;
        const Value& iname = im.require("name");
        iface.name = iname.text();
        if (!valid_name(iface.name)) {
          iname.fail(fmt::format("{} is not a valid interface name: 1-15 of A-Z a-z 0-9 _ -", quote(iface.name)));
        }
        for (const InterfaceSpec& other : host.interfaces) {
          if (other.name == iface.name) {
            iname.fail(fmt::format("duplicate interface name {} on host {}", quote(iface.name), quote(host.name)));
          }
        }
        if (auto k = im.get("kind")) {
          const std::string& kind = k->scalar("ethernet, tun or tap");
          if (kind == "ethernet") {
            iface.kind = InterfaceKind::ethernet;
          } else if (kind == "tun") {
            iface.kind = InterfaceKind::tun;
          } else if (kind == "tap") {
            iface.kind = InterfaceKind::tap;
          } else {
            k->wrong("ethernet, tun or tap");
          }
        }
        const Value& address = im.require("address");
        const std::string& text = address.scalar("an address with prefix like 10.0.0.1/24");
        const std::size_t slash = text.find('/');
        const auto ip = parse_address(std::string_view(text).substr(0, slash));
        std::optional<std::uint8_t> length = std::uint8_t{24};
        if (slash != std::string::npos) {
          length = parse_prefix_length(std::string_view(text).substr(slash + 1));
        }
        if (!ip || !length) {
          address.wrong("an address with prefix like 10.0.0.1/24");
        }
        iface.address = *ip;
        iface.prefix_length = *length;
        if (auto mtu = im.get("mtu")) {
          iface.mtu = mtu->mtu();
        }
        host.interfaces.push_back(iface);
      }
    }
    if (auto v = m.get("routes")) {
      for (const Value& entry : v->items("a list of routes")) {
        const Map rm(entry, {"to", "via", "dev"});
        RouteSpec route;
        const Value& to = rm.require("to");
        const std::string& text = to.scalar("default or a prefix like 10.0.0.0/24");
        if (text != "default") {
          const std::size_t slash = text.find('/');
          const auto ip = parse_address(std::string_view(text).substr(0, slash));
          std::optional<std::uint8_t> length = std::uint8_t{32};
          if (slash != std::string::npos) {
            length = parse_prefix_length(std::string_view(text).substr(slash + 1));
          }
          if (!ip || !length) {
            to.wrong("default or a prefix like 10.0.0.0/24");
          }
          route.prefix = *ip;
          route.prefix_length = *length;
          const std::uint32_t bits = to_host_order(*ip);
          const std::uint32_t mask = prefix_mask(route.prefix_length);
          if ((bits & ~mask) != 0) {
            to.fail(fmt::format("{} has host bits set (did you mean {}/{}?)", text,
                                from_host_order(bits & mask).to_string(), *length));
          }
        }
        if (auto via = rm.get("via")) {
          route.via = via->address();
        }
        const Value& dev = rm.require("dev");
        route.device = dev.text();
        if (!find_interface(host, route.device)) {
          std::vector<std::string> names;
          for (const InterfaceSpec& iface : host.interfaces) {
            names.push_back(iface.name);
          }
          dev.fail(fmt::format("host {} has no interface {} (interfaces: {})", quote(host.name), quote(route.device),
                               names.empty() ? std::string("none") : join(names)));
        }
        host.routes.push_back(route);
      }
    }
    if (auto v = m.get("listen")) {
      const auto ports = v->items("a list of UDP ports like [9000]");
      if (ports.empty()) {
        v->fail("give at least one port, or leave listen out to accept every port");
      }
      for (const Value& port : ports) {
        host.udp_listen.push_back(port.number_as<std::uint16_t>(1, 65535));
      }
    }
    s_.hosts.push_back(std::move(host));
    host_places_.push_back(item.place());
  }
}

void Loader::load_links(const Value& list) {
  std::vector<SourcePlace> link_places(s_.links.size());
  for (const Value& item : list.items("a list of links")) {
    const Map m(item, {"between", "mtu", "delay", "queue", "rate"});
    const Value& between = m.require("between");
    const auto ends = between.items("a list of two interfaces like [left.eth0, wan.left]");
    if (ends.size() != 2) {
      between.fail(fmt::format("expected two interfaces like [left.eth0, wan.left], got {}", ends.size()));
    }
    LinkEnd end[2];
    for (int i = 0; i < 2; ++i) {
      const auto [host, iface] = interface_ref(ends[i], "HOST.INTERFACE like left.eth0");
      if (iface->kind != InterfaceKind::ethernet) {
        ends[i].fail(fmt::format("{}.{} is a {} interface; links join ethernet interfaces", host->name, iface->name,
                                 iface->kind == InterfaceKind::tun ? "tun" : "tap"));
      }
      end[i] = LinkEnd{host->name, iface->name};
    }
    const auto same = [](const LinkEnd& x, const LinkEnd& y) { return x.host == y.host && x.interface == y.interface; };
    if (same(end[0], end[1])) {
      ends[1].fail("a link joins two different interfaces");
    }
    // An existing link with exactly these ends is modified (seed); one sharing a single end is a
    // mistake, since an interface has one cable.
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < s_.links.size(); ++i) {
      const LinkSpec& link = s_.links[i];
      const bool a0 = same(link.a, end[0]) || same(link.b, end[0]);
      const bool a1 = same(link.a, end[1]) || same(link.b, end[1]);
      if (a0 && a1) {
        if (link_places[i].line != 0) {
          between.fail(fmt::format("duplicate link {} <-> {} (already at line {})", end[0].describe(),
                                   end[1].describe(), link_places[i].line));
        }
        index = i;
      } else if (a0 || a1) {
        const LinkEnd& shared = a0 ? end[0] : end[1];
        ends[a0 ? 0 : 1].fail(fmt::format(
            "{} is already joined to {} by {}", shared.describe(), (same(link.a, shared) ? link.b : link.a).describe(),
            link_places[i].line == 0 ? std::string("a seed link")
                                     : "the link at line " + std::to_string(link_places[i].line)));
      }
    }
    const bool is_new = !index;
    if (is_new) {
      LinkSpec link;
      link.a = end[0];
      link.b = end[1];
      const HostSpec* ha = find_host(s_, end[0].host);
      const HostSpec* hb = find_host(s_, end[1].host);
      link.mtu = std::min(find_interface(*ha, end[0].interface)->mtu, find_interface(*hb, end[1].interface)->mtu);
      s_.links.push_back(link);
      link_places.push_back(item.place());
      index = s_.links.size() - 1;
    } else {
      link_places[*index] = item.place();
    }
    LinkSpec& link = s_.links[*index];
    if (auto v = m.get("mtu")) {
      link.mtu = v->mtu();
    }
    // The link MTU is what both interfaces send with; keeping them equal means the routes' egress
    // MTU (and the tunnels' derived underlay MTU) agree with the cable.
    for (const LinkEnd* e : {&link.a, &link.b}) {
      for (HostSpec& host : s_.hosts) {
        if (host.name == e->host) {
          for (InterfaceSpec& iface : host.interfaces) {
            if (iface.name == e->interface) {
              iface.mtu = link.mtu;
            }
          }
        }
      }
    }
    if (auto v = m.get("delay")) {
      link.delay_ns = v->duration();
    }
    if (auto v = m.get("queue")) {
      link.queue_packets = v->number_as<std::size_t>(0, 1'000'000);
    }
    if (auto v = m.get("rate")) {
      link.rate_bps = v->rate();
    }
  }
}

void Loader::load_tunnels(const Value& list) {
  for (const Value& item : list.items("a list of tunnels")) {
    const Map m(item, {"host", "app", "command", "device", "local", "remote", "inner_address", "ttl", "tos", "ecn",
                       "pmtudisc", "underlay_mtu", "pmtu_expiry", "reject_martian_inner"});
    const Value& host_value = m.require("host");
    HostSpec& host = host_named(host_value, host_value.text());
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < s_.tunnels.size(); ++i) {
      if (s_.tunnels[i].host == host.name) {
        if (tunnel_values_[i]) {
          host_value.fail(fmt::format("duplicate tunnel on host {} (already at line {})", quote(host.name),
                                      tunnel_values_[i]->mark().line + 1));
        }
        index = i;
      }
    }
    if (!index) {
      for (std::string_view key : {"device", "local", "remote"}) {
        if (!m.has(key)) {
          m.missing(key, " (a new tunnel needs device, local and remote)");
        }
      }
      s_.tunnels.push_back(TunnelSpec{host.name, "", TunnelConfig{}, "ipip", "", "", false});
      underlay_mtu_given_.push_back(false);
      tunnel_values_.push_back(std::nullopt);
      index = s_.tunnels.size() - 1;
    }
    tunnel_values_[*index] = item;
    TunnelSpec& tunnel = s_.tunnels[*index];
    TunnelConfig& c = tunnel.config;
    if (auto v = m.get("app")) {
      // Which apps exist is the runner's to say (projects register their own); the loader checks
      // the name's form and keeps the place for the runner's "unknown app" line.
      const std::string name = v->text();
      if (!AppRegistry::valid_name(name)) {
        v->wrong("an app name (lower-case letters, digits and '-'), e.g. ipip");
      }
      if (name == "kernel-ipip") {
        tunnel.kernel_ipip = true;  // the simulator keeps tunlab's engine in its place
      } else {
        tunnel.app = name;
        tunnel.app_place = v->place().describe();
      }
    }
    if (auto v = m.get("command")) {
      if (m.has("app")) {
        v->fail("give either app or command, not both (a command is app B as a program of its own)");
      }
      tunnel.command = v->text();
      if (tunnel.command.find_first_not_of(" \t") == std::string::npos) {
        v->wrong("a command line, e.g. \"my-vpn --dev {dev} --local {local} --remote {remote}\"");
      }
      for (std::size_t open = tunnel.command.find('{'); open != std::string::npos;
           open = tunnel.command.find('{', open + 1)) {
        const std::size_t close = tunnel.command.find('}', open);
        const std::string name = tunnel.command.substr(open + 1, close == std::string::npos ? 0 : close - open - 1);
        static constexpr std::string_view kPlaceholders[] = {"dev",  "local", "remote",      "inner",
                                                             "host", "mtu",   "scenario_dir"};
        if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), name) == std::end(kPlaceholders)) {
          v->fail(
              fmt::format("unknown placeholder {{{}}} (known: {{dev}} {{local}} {{remote}} {{inner}} {{host}} "
                          "{{mtu}} {{scenario_dir}})",
                          name));
        }
      }
    }
    if (auto v = m.get("device")) {
      tunnel.device = v->text();
      const InterfaceSpec* iface = find_interface(host, tunnel.device);
      if (!iface) {
        std::vector<std::string> names;
        for (const InterfaceSpec& i : host.interfaces) {
          names.push_back(i.name);
        }
        v->fail(fmt::format("host {} has no interface {} (interfaces: {})", quote(host.name), quote(tunnel.device),
                            names.empty() ? std::string("none") : join(names)));
      }
      if (iface->kind == InterfaceKind::ethernet) {
        v->fail(fmt::format("{}.{} is an ethernet interface; a tunnel needs a tun or tap interface", host.name,
                            tunnel.device));
      }
      if (!m.has("inner_address")) {
        c.inner_address = iface->address;
      }
    }
    if (auto v = m.get("local")) {
      c.local = v->address();
      const bool ours = std::any_of(host.interfaces.begin(), host.interfaces.end(),
                                    [&](const InterfaceSpec& i) { return i.address == c.local; });
      if (!ours) {
        v->fail(fmt::format("{} is not an address of host {}", c.local.to_string(), quote(host.name)));
      }
    }
    if (auto v = m.get("remote")) {
      c.remote = v->address();
    }
    if (auto v = m.get("inner_address")) {
      c.inner_address = v->address();
    }
    if (auto v = m.get("ttl")) {
      if (v->node().IsScalar() && v->node().Scalar() == "inherit") {
        c.ttl_mode = TtlMode::inherit;
      } else {
        if (v->node().IsScalar() && !parse_unsigned(v->node().Scalar())) {
          v->wrong("a TTL 1..255 or inherit");
        }
        c.ttl_mode = TtlMode::fixed;
        c.ttl = v->number_as<std::uint8_t>(1, 255);
      }
    }
    if (auto v = m.get("tos")) {
      if (v->node().IsScalar() && v->node().Scalar() == "copy") {
        c.tos_mode = TosMode::copy;
      } else {
        if (v->node().IsScalar() && !parse_unsigned(v->node().Scalar())) {
          v->wrong("copy or a TOS byte 0..255");
        }
        c.tos_mode = TosMode::fixed;
        c.tos = v->number_as<std::uint8_t>();
      }
    }
    if (auto v = m.get("ecn")) {
      const std::string& mode = v->scalar("normal or compat");
      if (mode == "normal") {
        c.ecn_mode = EcnMode::normal;
      } else if (mode == "compat") {
        c.ecn_mode = EcnMode::compat;
      } else {
        v->wrong("normal or compat");
      }
    }
    if (auto v = m.get("pmtudisc")) {
      c.pmtudisc = v->boolean();
    }
    if (auto v = m.get("underlay_mtu")) {
      c.underlay_mtu = v->mtu();
      underlay_mtu_given_[*index] = true;
    }
    if (auto v = m.get("pmtu_expiry")) {
      c.pmtu_expiry_ns = v->duration();
    }
    if (auto v = m.get("reject_martian_inner")) {
      c.reject_martian_inner = v->boolean();
    }
  }
}

// A tunnel's underlay MTU is, unless the file says otherwise, the MTU of the interface its host
// routes the remote endpoint through: what a kernel tunnel would start from.
void Loader::derive_underlay_mtus() {
  for (std::size_t i = 0; i < s_.tunnels.size(); ++i) {
    if (underlay_mtu_given_[i]) {
      continue;
    }
    TunnelSpec& tunnel = s_.tunnels[i];
    const HostSpec* host = find_host(s_, tunnel.host);
    const InterfaceSpec* egress = egress_interface(*host, tunnel.config.remote);
    if (egress) {
      tunnel.config.underlay_mtu = egress->mtu;
    }
  }
}

void Loader::load_faults(const Value& list) {
  std::vector<std::pair<std::string, int>> link_fault_lines;
  for (const Value& item : list.items("a list of faults")) {
    if (!item.node().IsMap()) {
      item.wrong("a mapping with link or device");
    }
    const bool is_link = item.node()["link"].IsDefined();
    const bool is_device = item.node()["device"].IsDefined();
    if (is_link && is_device) {
      item.fail("give either link or device, not both: one fault entry describes one thing");
    }
    if (is_link) {
      const Map m(item, {"link", "loss", "duplicate", "reorder", "reorder_delay", "jitter", "corrupt", "drop_nth",
                         "corrupt_nth", "reorder_nth", "duplicate_nth"});
      LinkFaultSpec fault;
      fault.place = item.place();
      const Value& link = m.require("link");
      link_of(link, fault.from);
      for (const auto& [seen, line] : link_fault_lines) {
        if (seen == fault.from.describe()) {
          link.fail(fmt::format("duplicate: the fault at line {} already covers the direction leaving {}", line,
                                fault.from.describe()));
        }
      }
      link_fault_lines.emplace_back(fault.from.describe(), fault.place.line);
      if (auto v = m.get("loss")) fault.loss = v->probability();
      if (auto v = m.get("duplicate")) fault.duplicate = v->probability();
      if (auto v = m.get("reorder")) fault.reorder = v->probability();
      if (auto v = m.get("reorder_delay")) fault.reorder_delay_ns = v->duration();
      if (auto v = m.get("jitter")) fault.jitter_ns = v->duration();
      if (auto v = m.get("corrupt")) fault.corrupt = v->probability();
      for (auto [key, out] :
           {std::pair{"drop_nth", &fault.drop_nth}, std::pair{"corrupt_nth", &fault.corrupt_nth},
            std::pair{"reorder_nth", &fault.reorder_nth}, std::pair{"duplicate_nth", &fault.duplicate_nth}}) {
        if (auto v = m.get(key)) {
          for (const Value& n : v->items("a list of packet numbers like [3, 7]")) {
            out->push_back(n.number(1, std::numeric_limits<std::uint64_t>::max()));
          }
        }
      }
      s_.link_faults.push_back(std::move(fault));
    } else if (is_device) {
      const Map m(item, {"device", "eagain", "read_buffer", "queue_limit", "down_at", "up_at"});
      DeviceFaultSpec fault;
      fault.place = item.place();
      const Value& device = m.require("device");
      const auto [host, iface] = interface_ref(device, "a device HOST.INTERFACE like right.tun0");
      if (iface->kind == InterfaceKind::ethernet) {
        device.fail(fmt::format("{}.{} is an ethernet interface; device faults apply to tun and tap devices",
                                host->name, iface->name));
      }
      fault.host = host->name;
      fault.device = iface->name;
      if (auto v = m.get("eagain")) fault.eagain = v->probability();
      if (auto v = m.get("read_buffer")) fault.read_buffer = v->number_as<std::size_t>(1, 65535);
      if (auto v = m.get("queue_limit")) fault.queue_limit = v->number_as<std::size_t>(0, 1'000'000);
      if (auto v = m.get("down_at")) fault.down_at_ns = v->duration();
      if (auto v = m.get("up_at")) {
        fault.up_at_ns = v->duration();
        if (fault.down_at_ns && *fault.up_at_ns <= *fault.down_at_ns) {
          v->fail("up_at must be later than down_at");
        }
      }
      s_.device_faults.push_back(std::move(fault));
    } else {
      source_.fail(item.mark(), item.path() + ".link", "missing required field (or device): what the fault applies to");
    }
  }
}

void Loader::load_changes(const Value& list) {
  for (const Value& item : list.items("a list of changes")) {
    const Map m(item, {"at", "link", "mtu", "up"});
    LinkChangeSpec change;
    change.place = item.place();
    change.at_ns = m.require("at").duration();
    link_of(m.require("link"), change.link);
    if (auto v = m.get("mtu")) change.mtu = v->mtu();
    if (auto v = m.get("up")) change.up = v->boolean();
    if (!change.mtu && !change.up) {
      m.missing("mtu", " (or up): a change must change something");
    }
    s_.link_changes.push_back(std::move(change));
  }
}

void Loader::load_traffic(const Value& list) {
  static constexpr std::string_view kKinds[] = {"udp", "ping", "tcp", "raw", "replay"};
  for (const Value& item : list.items("a list of traffic")) {
    if (!item.node().IsMap()) {
      item.wrong("a mapping with one of udp, ping, tcp, raw, replay");
    }
    std::vector<std::string_view> given;
    for (std::string_view kind : kKinds) {
      if (item.node()[std::string(kind)].IsDefined()) {
        given.push_back(kind);
      }
    }
    if (given.size() > 1) {
      item.fail(
          fmt::format("give one of udp, ping, tcp, raw, replay per entry, not both {} and {}", given[0], given[1]));
    }
    std::vector<std::string_view> allowed = {"at", "from"};
    if (given.empty() || given[0] != "replay") {
      allowed.insert(allowed.end(), {"count", "interval"});
    }
    if (given.empty()) {
      allowed.insert(allowed.end(), std::begin(kKinds), std::end(kKinds));
    } else {
      allowed.push_back(given[0]);
    }
    const Map m(item, allowed);
    if (given.empty()) {
      m.missing("udp", " (or ping, tcp, raw, replay): what to send");
    }
    const std::string_view kind = given[0];

    TrafficSpec t;
    t.place = item.place();
    if (auto v = m.get("at")) t.at_ns = v->duration();
    if (auto v = m.get("from")) {
      t.from = host_named(*v, v->text()).name;
    } else if (kind == "replay" && find_host(s_, "left")) {
      t.from = "left";
    } else {
      m.missing("from", kind == "replay" ? " (replay defaults to left, which this topology lacks)" : "");
    }
    if (auto v = m.get("count")) t.count = v->number_as<std::uint32_t>(1, 1'000'000'000);
    if (auto v = m.get("interval")) t.interval_ns = v->duration();
    // The last packet's time, at + (count - 1) * interval, stays within a run's longest time.
    if (t.count > 1 && t.interval_ns > 0 &&
        static_cast<std::uint64_t>(t.count - 1) >
            static_cast<std::uint64_t>((limits::kMaxDurationNs - t.at_ns) / t.interval_ns)) {
      item.fail(fmt::format("the last of {} packets would be sent after the {}s a run may last", t.count,
                            limits::kMaxDurationNs / 1'000'000'000));
    }
    item.source().traffic_packets += t.count;
    if (item.source().traffic_packets > limits::kMaxTrafficPackets) {
      item.fail(fmt::format("the traffic entries so far send {} packets, more than the {} a scenario may send",
                            item.source().traffic_packets, limits::kMaxTrafficPackets));
    }

    const Value& body = m.require(kind);
    if (kind == "raw") {
      t.kind = TrafficKind::raw;
      const std::string& hex = body.scalar("a whole IPv4 packet in hex");
      std::string digits;
      for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        if (c == ' ' || c == '\n' || c == '\t') {
          continue;
        }
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
          body.fail(fmt::format("'{}' at offset {} is not a hex digit", c < 0x20 ? '?' : c, i));
        }
        digits += c;
      }
      if (digits.size() % 2 != 0) {
        body.fail(fmt::format("odd number of hex digits ({})", digits.size()));
      }
      for (std::size_t i = 0; i < digits.size(); i += 2) {
        t.raw.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
      }
      const auto header = Ipv4View::parse(ByteView(t.raw));
      if (!header) {
        body.fail(
            fmt::format("not an IPv4 packet: need at least 20 bytes, version 4 and IHL >= 5 ({} bytes)", t.raw.size()));
      }
      if (t.raw.size() > 65535) {
        body.fail(fmt::format("{} bytes is longer than an IPv4 packet can be", t.raw.size()));
      }
      t.dst = header->dst();
      s_.traffic.push_back(std::move(t));
      continue;
    }
    if (kind == "replay") {
      t.kind = TrafficKind::replay;
      const std::string file = body.scalar("a pcap file path");
      if (file.empty()) {
        body.wrong("a pcap file path");
      }
      const std::filesystem::path path = (source_.folder / file).lexically_normal();
      std::error_code error;
      if (!std::filesystem::is_regular_file(path, error)) {
        body.fail(fmt::format("no such file {} (relative to the scenario's folder)", quote(file)));
      }
      t.replay = path;
      s_.traffic.push_back(std::move(t));
      continue;
    }

    // udp, ping, tcp: one header-building sub-map each.
    std::vector<std::string_view> keys = {"dst", "size", "df", "tos", "ttl", "src"};
    if (kind != "ping") {
      keys.push_back("src_port");
    }
    if (kind == "tcp") {
      keys.push_back("flags");
    }
    const Map b(body, keys, "a mapping with at least dst");
    const Value& dst = b.require("dst");
    if (kind == "ping") {
      t.kind = TrafficKind::icmp_echo;
      t.dst = dst.address();
    } else {
      t.kind = kind == "udp" ? TrafficKind::udp : TrafficKind::tcp;
      const std::string& text = dst.scalar("ADDRESS:PORT like \"10.0.0.22:9000\"");
      const std::size_t colon = text.find(':');
      const auto ip = parse_address(std::string_view(text).substr(0, colon));
      const auto port =
          colon == std::string::npos ? std::nullopt : parse_unsigned(std::string_view(text).substr(colon + 1));
      if (!ip || !port) {
        dst.wrong("ADDRESS:PORT like \"10.0.0.22:9000\"");
      }
      if (*port < 1 || *port > 65535) {
        dst.fail(fmt::format("port {} is out of range 1..65535", *port));
      }
      t.dst = *ip;
      t.dst_port = static_cast<std::uint16_t>(*port);
    }
    // Payload limits: what fits a 65535-byte IPv4 packet after IP (20) and UDP/ICMP (8) or TCP (20).
    if (auto v = b.get("size")) t.size = v->number_as<std::size_t>(0, kind == "tcp" ? 65495 : 65507);
    if (auto v = b.get("df")) t.df = v->boolean();
    if (auto v = b.get("tos")) t.tos = v->number_as<std::uint8_t>();
    if (auto v = b.get("ttl")) t.ttl = v->number_as<std::uint8_t>();
    if (auto v = b.get("src")) {
      t.src = v->address();
      t.src_set = true;
    }
    if (auto v = b.get("src_port")) t.src_port = v->number_as<std::uint16_t>(1, 65535);
    if (auto v = b.get("flags")) {
      const std::string& text = v->scalar("TCP flags like SYN|ACK or a number");
      if (parse_unsigned(text)) {
        t.tcp_flags = v->number_as<std::uint8_t>();
      } else {
        static constexpr std::pair<std::string_view, std::uint8_t> kFlags[] = {
            {"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08},
            {"ACK", 0x10}, {"URG", 0x20}, {"ECE", 0x40}, {"CWR", 0x80}};
        std::uint8_t flags = 0;
        std::string_view rest = text;
        while (true) {
          const std::size_t bar = rest.find('|');
          std::string_view word = rest.substr(0, bar);
          while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
          while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
          const auto* flag =
              std::find_if(std::begin(kFlags), std::end(kFlags), [&](const auto& f) { return f.first == word; });
          if (flag == std::end(kFlags)) {
            v->fail(fmt::format("unknown TCP flag {} in {}; flags: FIN SYN RST PSH ACK URG ECE CWR joined by |",
                                quote(word), quote(text)));
          }
          flags = static_cast<std::uint8_t>(flags | flag->second);
          if (bar == std::string_view::npos) {
            break;
          }
          rest.remove_prefix(bar + 1);
        }
        t.tcp_flags = flags;
      }
    }
    s_.traffic.push_back(std::move(t));
  }
}

void Loader::load_expectations(const Value& list) {
  for (const Value& item : list.items("a list of expectations")) {
    s_.expectations.push_back(load_expectation(item));
  }
}

std::string describe_match(const HeaderMatch& m) {
  std::vector<std::string> parts;
  if (m.src) parts.push_back("src " + m.src->to_string());
  if (m.dst) parts.push_back("dst " + m.dst->to_string());
  if (m.protocol) parts.push_back(fmt::format("proto {}", *m.protocol));
  if (m.ttl) parts.push_back(fmt::format("ttl {}", *m.ttl));
  if (m.tos) parts.push_back(fmt::format("tos {:#04x}", *m.tos));
  if (m.ecn) parts.push_back(fmt::format("ecn {}", *m.ecn));
  if (m.dscp) parts.push_back(fmt::format("dscp {}", *m.dscp));
  if (m.df) parts.push_back(*m.df ? "df" : "no df");
  if (m.total_length) parts.push_back(fmt::format("length {}", *m.total_length));
  if (m.dst_port) parts.push_back(fmt::format("dst_port {}", *m.dst_port));
  if (m.icmp_type) parts.push_back(fmt::format("icmp_type {}", *m.icmp_type));
  if (m.icmp_code) parts.push_back(fmt::format("icmp_code {}", *m.icmp_code));
  if (m.icmp_mtu) parts.push_back(fmt::format("icmp_mtu {}", *m.icmp_mtu));
  return join(parts, " ");
}

std::string describe_count(const Expectation& e) {
  if (e.count) return fmt::format("count {}", *e.count);
  if (e.at_least) return fmt::format("at least {}", *e.at_least);
  return "";
}

// The name shown in results when the file gives none: the expectation in words.
std::string default_name(const Expectation& e) {
  std::vector<std::string> parts;
  switch (e.kind) {
    case ExpectKind::app_received:
      parts.push_back(e.host + ".app");
      if (e.port) parts.push_back(fmt::format("port {}", *e.port));
      if (e.count) parts.push_back(fmt::format("received {}", *e.count));
      if (e.at_least) parts.push_back(fmt::format("received at least {}", *e.at_least));
      if (e.bytes) parts.push_back(fmt::format("bytes {}", *e.bytes));
      break;
    case ExpectKind::app_icmp:
      parts.push_back(e.host + ".app");
      parts.push_back(fmt::format("ICMP type {}", *e.icmp_type));
      if (e.icmp_code) parts.push_back(fmt::format("code {}", *e.icmp_code));
      if (e.icmp_mtu) parts.push_back(fmt::format("mtu {}", *e.icmp_mtu));
      parts.push_back(describe_count(e));
      break;
    case ExpectKind::app_echo_reply:
      parts.push_back(e.host + ".app");
      parts.push_back(fmt::format("echo replies {}", *e.count));
      break;
    case ExpectKind::hop:
      parts.push_back("hop " + e.hop);
      parts.push_back(describe_count(e));
      if (!e.outer.empty()) parts.push_back("outer {" + describe_match(e.outer) + "}");
      if (!e.inner.empty()) parts.push_back("inner {" + describe_match(e.inner) + "}");
      break;
    case ExpectKind::dropped:
      parts.push_back("dropped");
      for (const auto& [reason, n] : e.drops) {
        parts.push_back(fmt::format("{} {}", to_string(reason), n));
      }
      for (const auto& [reason, n] : e.app_drops) {
        parts.push_back(fmt::format("{} {}", reason, n));
      }
      if (e.dropped_total) parts.push_back(fmt::format("total {}", *e.dropped_total));
      break;
    case ExpectKind::delivered:
      if (e.delivered) parts.push_back(fmt::format("delivered {}", *e.delivered));
      if (e.injected) parts.push_back(fmt::format("injected {}", *e.injected));
      break;
    case ExpectKind::ordering:
      parts.push_back(e.host + ".app");
      if (e.port) parts.push_back(fmt::format("port {}", *e.port));
      parts.push_back("in order");
      break;
  }
  return join(parts, " ");
}

HeaderMatch Loader::load_match(const Value& value) {
  const Map m(value, {"src", "dst", "proto", "ttl", "tos", "ecn", "dscp", "df", "length", "dst_port", "icmp_type",
                      "icmp_code", "icmp_mtu"});
  HeaderMatch h;
  if (auto v = m.get("src")) h.src = v->address();
  if (auto v = m.get("dst")) h.dst = v->address();
  if (auto v = m.get("proto")) {
    static constexpr std::pair<std::string_view, std::uint8_t> kNames[] = {
        {"icmp", ipproto::kIcmp}, {"ipip", ipproto::kIpip}, {"tcp", ipproto::kTcp}, {"udp", ipproto::kUdp}};
    const std::string& text = v->scalar("a protocol number or icmp, ipip, tcp, udp");
    const auto* name =
        std::find_if(std::begin(kNames), std::end(kNames), [&](const auto& n) { return n.first == text; });
    if (name != std::end(kNames)) {
      h.protocol = name->second;
    } else if (parse_unsigned(text)) {
      h.protocol = v->number_as<std::uint8_t>();
    } else {
      v->wrong("a protocol number or icmp, ipip, tcp, udp");
    }
  }
  if (auto v = m.get("ttl")) h.ttl = v->number_as<std::uint8_t>();
  if (auto v = m.get("tos")) h.tos = v->number_as<std::uint8_t>();
  if (auto v = m.get("ecn")) h.ecn = v->number_as<std::uint8_t>(0, 3);
  if (auto v = m.get("dscp")) h.dscp = v->number_as<std::uint8_t>(0, 63);
  if (auto v = m.get("df")) h.df = v->boolean();
  if (auto v = m.get("length")) h.total_length = v->number_as<std::uint16_t>(20, 65535);
  if (auto v = m.get("dst_port")) h.dst_port = v->number_as<std::uint16_t>();
  if (auto v = m.get("icmp_type")) h.icmp_type = v->number_as<std::uint8_t>();
  if (auto v = m.get("icmp_code")) h.icmp_code = v->number_as<std::uint8_t>();
  if (auto v = m.get("icmp_mtu")) h.icmp_mtu = v->number_as<std::uint16_t>();
  if (h.empty()) {
    value.fail("matches every packet; give at least one field (src, dst, proto, ...) or leave it out");
  }
  return h;
}

Expectation Loader::load_expectation(const Value& item) {
  if (!item.node().IsMap()) {
    item.wrong("a mapping describing what to check");
  }
  // The marker keys decide what kind of expectation this is; then only that kind's keys are allowed.
  struct Kind {
    std::string_view marker;
    ExpectKind kind;
  };
  static constexpr Kind kMarkers[] = {{"icmp", ExpectKind::app_icmp},     {"echo_replies", ExpectKind::app_echo_reply},
                                      {"in_order", ExpectKind::ordering}, {"hop", ExpectKind::hop},
                                      {"dropped", ExpectKind::dropped},   {"delivered", ExpectKind::delivered},
                                      {"injected", ExpectKind::delivered}};
  std::vector<std::string_view> markers;
  std::optional<ExpectKind> kind;
  for (const Kind& k : kMarkers) {
    if (item.node()[std::string(k.marker)].IsDefined()) {
      if (kind && *kind != k.kind) {
        item.fail(fmt::format("mixes {} and {}: one expectation checks one thing", markers.front(), k.marker));
      }
      markers.push_back(k.marker);
      kind = k.kind;
    }
  }
  if (!kind) {
    if (!item.node()["at"].IsDefined()) {
      item.fail("does not say what to check: give at (HOST.app), hop, dropped, delivered or injected");
    }
    kind = ExpectKind::app_received;
  }
  std::vector<std::string_view> allowed = {"name"};
  switch (*kind) {
    case ExpectKind::app_received:
      allowed.insert(allowed.end(), {"at", "port", "received", "at_least", "bytes"});
      break;
    case ExpectKind::app_icmp:
      allowed.insert(allowed.end(), {"at", "icmp", "count", "at_least"});
      break;
    case ExpectKind::app_echo_reply:
      allowed.insert(allowed.end(), {"at", "echo_replies"});
      break;
    case ExpectKind::ordering:
      allowed.insert(allowed.end(), {"at", "port", "in_order"});
      break;
    case ExpectKind::hop:
      allowed.insert(allowed.end(), {"hop", "count", "at_least", "outer", "inner"});
      break;
    case ExpectKind::dropped:
      allowed.insert(allowed.end(), {"dropped"});
      break;
    case ExpectKind::delivered:
      allowed.insert(allowed.end(), {"delivered", "injected"});
      break;
  }
  const Map m(item, allowed);
  Expectation e;
  e.kind = *kind;
  e.place = item.place();

  if (*kind == ExpectKind::app_received || *kind == ExpectKind::app_icmp || *kind == ExpectKind::app_echo_reply ||
      *kind == ExpectKind::ordering) {
    const Value& at = m.require("at");
    const std::string& text = at.scalar("HOST.app like right.app");
    if (!text.ends_with(".app") || text.size() <= 4) {
      at.wrong("HOST.app like right.app");
    }
    e.host = host_named(at, text.substr(0, text.size() - 4)).name;
  }
  const auto count_or_at_least = [&](std::string_view count_key) {
    const Value* count = m.find(count_key);
    const Value* at_least = m.find("at_least");
    if (count && at_least) {
      at_least->fail(fmt::format("give {} or at_least, not both", count_key));
    }
    if (count) e.count = count->number(0, std::numeric_limits<std::uint64_t>::max());
    if (at_least) e.at_least = at_least->number(0, std::numeric_limits<std::uint64_t>::max());
  };
  switch (*kind) {
    case ExpectKind::app_received:
      if (auto v = m.get("port")) e.port = v->number_as<std::uint16_t>(1, 65535);
      count_or_at_least("received");
      if (auto v = m.get("bytes")) e.bytes = v->number(0, std::numeric_limits<std::uint64_t>::max());
      if (!e.count && !e.at_least && !e.bytes) {
        m.missing("received", " (or at_least, bytes): what to check at the app");
      }
      break;
    case ExpectKind::app_icmp: {
      const Map icmp(m.require("icmp"), {"type", "code", "mtu"});
      e.icmp_type = icmp.require("type").number_as<std::uint8_t>();
      if (auto v = icmp.get("code")) e.icmp_code = v->number_as<std::uint8_t>();
      if (auto v = icmp.get("mtu")) e.icmp_mtu = v->number_as<std::uint16_t>();
      count_or_at_least("count");
      if (!e.count && !e.at_least) e.at_least = 1;
      break;
    }
    case ExpectKind::app_echo_reply:
      e.count = m.require("echo_replies").number(0, std::numeric_limits<std::uint64_t>::max());
      break;
    case ExpectKind::ordering: {
      const Value& in_order = m.require("in_order");
      if (!in_order.boolean()) {
        in_order.fail("only in_order: true can be checked (leave the expectation out otherwise)");
      }
      if (auto v = m.get("port")) e.port = v->number_as<std::uint16_t>(1, 65535);
      break;
    }
    case ExpectKind::hop: {
      const Value& hop = m.require("hop");
      e.hop = hop.scalar("HOST-INTERFACE like left-eth0");
      std::vector<std::string> matches;
      for (const HostSpec& host : s_.hosts) {
        for (const InterfaceSpec& iface : host.interfaces) {
          if (host.name + "-" + iface.name == e.hop) {
            matches.push_back(host.name + "." + iface.name);
          }
        }
      }
      if (matches.empty()) {
        std::vector<std::string> hops;
        for (const HostSpec& host : s_.hosts) {
          for (const InterfaceSpec& iface : host.interfaces) {
            hops.push_back(host.name + "-" + iface.name);
          }
        }
        hop.fail(fmt::format("no interface {} (hops: {})", quote(e.hop), join(hops)));
      }
      if (matches.size() > 1) {
        hop.fail(fmt::format("{} is ambiguous: {}", quote(e.hop), join(matches, " or ")));
      }
      count_or_at_least("count");
      if (!e.count && !e.at_least) e.at_least = 1;
      if (auto v = m.get("outer")) e.outer = load_match(*v);
      if (auto v = m.get("inner")) e.inner = load_match(*v);
      break;
    }
    case ExpectKind::dropped: {
      const Value& dropped = m.require("dropped");
      if (!dropped.node().IsMap()) {
        dropped.wrong("a mapping of drop reason to count like {encap-too-big-df: 1}");
      }
      std::vector<std::string_view> names = {"total"};
      for (std::size_t i = 0; i < kDropReasonCount; ++i) {
        names.push_back(to_string(static_cast<DropReason>(i)));
      }
      // Apps other than tunlab's engine name their own drops; their names cannot be checked here.
      const bool other_apps =
          std::any_of(s_.tunnels.begin(), s_.tunnels.end(), [](const TunnelSpec& t) { return t.app != "ipip"; });
      std::vector<std::string> app_names;
      if (other_apps && dropped.node().IsMap()) {
        for (const auto& entry : dropped.node()) {
          if (entry.first.IsScalar()) {
            app_names.push_back(entry.first.Scalar());
          }
        }
        names.insert(names.end(), app_names.begin(), app_names.end());
      }
      const Map reasons(dropped, names);
      for (const std::string& key : reasons.keys()) {
        const std::uint64_t n = reasons.require(key).number(0, std::numeric_limits<std::uint64_t>::max());
        DropReason reason{};
        if (key == "total") {
          e.dropped_total = n;
        } else if (parse_drop_reason(key, reason)) {
          e.drops[reason] = n;
        } else {
          e.app_drops[key] = n;
        }
      }
      if (e.drops.empty() && e.app_drops.empty() && !e.dropped_total) {
        dropped.fail("empty: give reason: count pairs, or total: 0 for no drops at all");
      }
      break;
    }
    case ExpectKind::delivered:
      if (auto v = m.get("delivered")) e.delivered = v->number(0, std::numeric_limits<std::uint64_t>::max());
      if (auto v = m.get("injected")) e.injected = v->number(0, std::numeric_limits<std::uint64_t>::max());
      break;
  }
  if (auto v = m.get("name")) {
    e.name = v->text();
    if (e.name.empty()) {
      v->fail("empty name; leave it out to get a generated one");
    }
  } else {
    e.name = default_name(e);
  }
  return e;
}

// Records where a second document starts, and nothing else.
class DocumentStarts : public YAML::EventHandler {
public:
  std::size_t count = 0;
  YAML::Mark first;
  YAML::Mark second;
  YAML::Mark second_content;  // where the second document's first node starts
  bool second_has_content = false;
  void OnDocumentStart(const YAML::Mark& mark) override { (++count == 1 ? first : second) = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { content(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { content(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
    content(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    content(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    content(mark);
  }
  void OnMapEnd() override {}

private:
  void content(const YAML::Mark& mark) {
    if (count == 2 && !second_has_content) {
      second_content = mark;
      second_has_content = true;
    }
  }
};

// A file with a second document (---) is refused: yaml-cpp's Load() would silently read only the
// first. yaml-cpp 0.7's LoadAll() is not used to find out: on some inputs (a lone ",") its parser
// reports a new document forever without consuming anything (yaml-cpp issue 1040), so LoadAll grows
// without bound. Asking for exactly two documents is bounded whatever the parser does.
void check_single_document(const Source& source, const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  if (!parser.HandleNextDocument(starts) || !parser.HandleNextDocument(starts)) {
    return;
  }
  if (starts.second.pos <= starts.first.pos) {
    // The parser started a "document" without reading a byte: it cannot read this text at all.
    source.fail(starts.first, "yaml", "not a YAML document yaml-cpp can read (it reads nothing here)");
  }
  // Count the rest, bounded: each further document must start further on.
  std::size_t documents = 2;
  YAML::Mark last = starts.second;
  while (documents < 1000 && parser.HandleNextDocument(starts)) {
    if (starts.second.pos <= last.pos) {
      break;
    }
    last = starts.second;
    ++documents;
  }
  source.fail(starts.second_has_content ? starts.second_content : starts.second, "document",
              fmt::format("the file holds {}{} YAML documents (---); a scenario is one", documents,
                          documents == 1000 ? " or more" : ""));
}

}  // namespace

Scenario load_scenario_text(const std::string& text, const std::filesystem::path& file_name) {
  Source source{file_name.string(), file_name.parent_path()};
  YAML::Node document;
  try {
    document = YAML::Load(text);
    check_single_document(source, text);
  } catch (const YAML::DeepRecursion& e) {
    source.fail(e.mark, "yaml", fmt::format("nested more than {} levels deep; a scenario is flatter", e.depth()));
  } catch (const YAML::ParserException& e) {
    // e.msg is yaml-cpp's text without its "yaml-cpp: error at line..." prefix.
    source.fail(e.mark, "yaml", e.msg);
  } catch (const YAML::Exception& e) {
    source.fail(e.mark, "yaml", e.msg);
  }
  if (!document.IsDefined() || document.IsNull()) {
    source.fail(document.Mark(), "document", "empty scenario file (expected a mapping with at least 'name')");
  }
  Scenario scenario;
  scenario.file = file_name;
  try {
    Loader(source, scenario).load(document);
  } catch (const YAML::Exception& e) {
    // Reading a well-formed tree should never throw; if yaml-cpp does, it is still bad input.
    source.fail(e.mark, "yaml", e.msg);
  }
  return scenario;
}

Scenario load_scenario_file(const std::filesystem::path& path) {
  return load_scenario_text(
      read_regular_file(path, limits::kMaxScenarioBytes, fmt::format("{}:1:1: document", path.string())), path);
}

}  // namespace tunlab::scenario
