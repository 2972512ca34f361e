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
//       command: "my-vpn --dev {dev} --local {local} --remote {remote}"   # instead of app: app B
//                             #   is this program (real: in the host's namespace; sim: under
//                             #   the supervisor, docs/programs-in-the-simulator.md);
//                             #   also {inner} {host} {mtu} {scenario_dir}.
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
//       offload: false        # TUN segmentation offloads on the tun device (tun only; as tunnel
//                             #   --offload on): the stack hands app B TCP super-packets and
//                             #   takes GSO writes. Default off. Simulated only.
//
//   faults:                   # each entry has exactly one of `link` or `device`
//     - {link: wan.right, loss: 0.01, duplicate: 0.001, reorder: 0.02, reorder_delay: 2ms,
//        jitter: 1ms, corrupt: 0.001, drop_nth: [3], corrupt_nth: [5], reorder_nth: [7], duplicate_nth: [9]}
//       # link: HOST.INTERFACE, a link end: faults on the direction leaving it. Probabilities 0..1;
//       # *_nth: 1-based packet numbers on that direction (reorder_nth holds the packet back by
//       # reorder_delay; `tunlab sweep --shrink` writes these). One entry per direction.
//     - {device: right.tun0, eagain: 0.1, read_buffer: 100, queue_limit: 10, down_at: 5ms, up_at: 10ms}
//       # device: a tun/tap interface. read_buffer 1..65535 (default: the MTU); queue_limit default 500.
//     - {device: right.tun0, gso_write: einval}
//       # gso_write: accept (default) | einval = every GSO write refused, as Linux 6.6.44 did.
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
//       # icmp|tcp|udp|ipip) ttl tos dscp(0..63: tos >> 2) ecn(0..3 or not-ect|ect1|ect0|ce:
//       # tos & 3) df length dst_port icmp_type icmp_code icmp_mtu. inner = the header inside
//       # an IPIP packet.
//     - {dropped: {encap-too-big-df: 1, total: 1}}   # names of drop_reason.hpp; total = all reasons
//     - {delivered: 10, injected: 10}                # either or both
//     - {dropped_at_most: 3}                         # at most 3 drops in all, whatever the reasons
//     # count (exact) or at_least; hop and icmp without either mean at_least: 1.
//
// Scalars: numbers are decimal or 0x-hex, never negative; booleans are true/false; durations are
// 0 or a number with ns|us|ms|s (1.5s, 250us); rates are bits/s with an optional k|m|g + "bit"
// (10mbit) or a plain number; probabilities 0..1.
#include "tunlab/scenario/scenario_loader.hpp"

#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "scenario_loader_internal.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"

namespace tunlab::scenario {

namespace detail {

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

}  // namespace detail

namespace {

using detail::Loader;
using detail::Source;

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
