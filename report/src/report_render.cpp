// Renders reports: the page template (report/report.html, embedded at build time) with one JSON
// data block. The template draws everything from that block, so the C++ side only gathers data.
#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "diff_align.hpp"
#include "report_json.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"
#include "tunlab/wire/byte_order.hpp"

namespace tunlab::report {

extern const char* const kReportTemplate;  // report_template.cpp, generated from report/report.html

namespace detail {

namespace {

constexpr std::uint64_t kFnvBasis = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

std::uint64_t fnv1a(ByteView bytes) {
  std::uint64_t hash = kFnvBasis;
  for (const std::uint8_t byte : bytes) {
    hash = (hash ^ byte) * kFnvPrime;
  }
  return hash;
}

// Descends as normalise_ipv4 does: into IPIP first fragments (whose inner header is there, the
// outer one's TTL and TOS are not what a packet is) and into UDP datagrams that are exactly one
// IPv4 packet (IP in UDP), depth-limited against crafted nesting.
Ipv4View innermost_carried(Ipv4View ip) {
  for (int depth = 0; depth < 4 && ip.fragment_offset_bytes() == 0; ++depth) {
    std::optional<Ipv4View> carried;
    if (ip.protocol() == ipproto::kIpip) {
      carried = Ipv4View::parse(ip.payload());
    } else if (ip.protocol() == ipproto::kUdp) {
      if (const auto udp = UdpView::parse(ip.payload())) {
        const auto in = Ipv4View::parse(udp->payload());
        if (in && in->total_length() == udp->payload().size()) {
          carried = in;
        }
      }
    }
    if (!carried) {
      break;
    }
    ip = *carried;
  }
  return ip;
}

using Positions = std::map<DiffKey, std::vector<std::size_t>>;  // ascending positions per key

Positions positions_of(const std::vector<DiffKey>& keys) {
  Positions out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    out[keys[i]].push_back(i);
  }
  return out;
}

std::size_t next_of(const Positions& positions, const DiffKey& key, std::size_t from) {
  const auto it = positions.find(key);
  if (it == positions.end()) {
    return kNoPacket;
  }
  const auto at = std::lower_bound(it->second.begin(), it->second.end(), from);
  return at == it->second.end() ? kNoPacket : *at;
}

// Equal keys from (i, j) on, counted up to a few: how well a choice lines the sides up again.
std::size_t run_at(const std::vector<DiffKey>& a, const std::vector<DiffKey>& b, std::size_t i, std::size_t j) {
  constexpr std::size_t kRun = 16;
  std::size_t n = 0;
  while (n < kRun && i + n < a.size() && j + n < b.size() && a[i + n] == b[j + n]) {
    ++n;
  }
  return n;
}

}  // namespace

DiffKey diff_key(ByteView ipv4) {
  const auto outer = Ipv4View::parse(ipv4);
  if (!outer) {
    return {"raw", fnv1a(ipv4)};
  }
  const Ipv4View ip = innermost_carried(*outer);
  DiffKey key;
  key.identity = fmt::format("{} {:08x}>{:08x}", ip.protocol(), ip.src_raw(), ip.dst_raw());
  const ByteView payload = ip.payload();
  if (ip.is_fragment()) {
    // Fragments carry pieces of a transport header, if any: the offset and bytes tell them apart.
    key.identity += fmt::format(" frag {}{}", ip.fragment_offset_bytes(), ip.mf() ? "+" : "");
    key.payload = fnv1a(payload);
    return key;
  }
  switch (ip.protocol()) {
    case ipproto::kUdp:
      if (const auto udp = UdpView::parse(payload)) {
        key.identity += fmt::format(" {}>{}", udp->src_port(), udp->dst_port());
        key.payload = fnv1a(udp->payload());
        return key;
      }
      break;
    case ipproto::kTcp:
      if (const auto tcp = TcpView::parse(payload)) {
        key.identity += fmt::format(" {}>{}", tcp->src_port(), tcp->dst_port());
        key.payload = fnv1a(tcp->payload());
        return key;
      }
      break;
    case ipproto::kIcmp:
      if (const auto icmp = IcmpView::parse(payload)) {
        key.identity += fmt::format(" icmp {}/{}", icmp->type(), icmp->code());
        if (icmp->is_echo()) {
          // The echo identifier is the kernel's choice (normalise_ipv4 forgives it); the sequence is not.
          key.identity += fmt::format(" seq {}", icmp->sequence());
          key.payload = fnv1a(icmp->payload());
        } else if (icmp->is_error()) {
          // The quote holds the quoted packet's TTL, ID and checksums, which may differ: only
          // which packet it quotes counts.
          if (const auto quoted = Ipv4View::parse(icmp->quoted())) {
            const Ipv4View q = innermost_carried(*quoted);
            key.identity += fmt::format(" quoting {} {:08x}>{:08x}", q.protocol(), q.src_raw(), q.dst_raw());
            const ByteView l4 = q.payload();
            if (!q.is_fragment() && (q.protocol() == ipproto::kUdp || q.protocol() == ipproto::kTcp) &&
                l4.size() >= 4) {
              key.identity += fmt::format(" {}>{}", load_be16(l4.data()), load_be16(l4.data() + 2));
            }
          }
        } else {
          key.payload = fnv1a(icmp->payload());
        }
        return key;
      }
      break;
    default:
      break;
  }
  key.payload = fnv1a(payload);
  return key;
}

std::vector<AlignedRow> align_packets(const std::vector<DiffKey>& a, const std::vector<DiffKey>& b) {
  const Positions in_a = positions_of(a);
  const Positions in_b = positions_of(b);
  std::vector<AlignedRow> rows;
  rows.reserve(std::max(a.size(), b.size()));
  std::size_t i = 0;
  std::size_t j = 0;
  // Every step places a packet for good. On a mismatch, a packet whose key the other side has
  // nowhere ahead is on its side alone; when both have theirs ahead, the nearer match wins, so a
  // lost packet costs one gap, and equal distances go to the choice that lines up more rows after.
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      rows.push_back({i++, j++});
      continue;
    }
    const std::size_t a_in_b = next_of(in_b, a[i], j);
    const std::size_t b_in_a = next_of(in_a, b[j], i);
    if (a_in_b == kNoPacket && b_in_a == kNoPacket) {
      // Packets with different keys never pair, even met at the same point: each side may have
      // lost a different packet there.
      rows.push_back({i++, kNoPacket});
      rows.push_back({kNoPacket, j++});
      continue;
    }
    bool a_only = false;  // a[i] is a row of A alone (else b[j] is one of B alone)
    if (a_in_b == kNoPacket) {
      a_only = true;
    } else if (b_in_a != kNoPacket) {
      const std::size_t skip_a = b_in_a - i;
      const std::size_t skip_b = a_in_b - j;
      a_only = skip_a != skip_b ? skip_a < skip_b : run_at(a, b, b_in_a, j) >= run_at(a, b, i, a_in_b);
    }
    if (a_only) {
      rows.push_back({i++, kNoPacket});
    } else {
      rows.push_back({kNoPacket, j++});
    }
  }
  while (i < a.size()) {
    rows.push_back({i++, kNoPacket});
  }
  while (j < b.size()) {
    rows.push_back({kNoPacket, j++});
  }
  return rows;
}

}  // namespace detail

namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the report's own helpers

constexpr std::string_view kDataMarker = "/*TUNLAB-DATA*/";
constexpr std::string_view kTitleMarker = "TUNLAB-TITLE";
constexpr std::size_t kMaxDiffRows = 20'000;  // packet rows a diff report draws, over all captures

// JSON inside <script>: the script rule (safe_text.hpp) leaves no "</script", "<!--" or "<script".
std::string script_safe(std::string_view json) {
  return safe_text::script(json);
}

// The template with its two markers filled in, both found in the template itself: what goes into
// the title can never be taken for the data marker, nor the data for the title marker.
std::string page(const std::string& title, const std::string& data) {
  const std::string html = kReportTemplate;
  const std::size_t title_at = html.find(kTitleMarker);
  const std::size_t data_at = html.find(kDataMarker);
  if (title_at == std::string::npos || data_at == std::string::npos || title_at > data_at) {
    throw std::logic_error("report template: markers missing or out of order");
  }
  std::string out;
  out.reserve(html.size() + title.size() + data.size());
  out.append(html, 0, title_at);
  out += safe_text::markup(title);
  out.append(html, title_at + kTitleMarker.size(), data_at - title_at - kTitleMarker.size());
  out += data;
  out.append(html, data_at + kDataMarker.size());
  return out;
}

// A header field by its name on the page; the report's JSON keys are short for size only.
std::string field_name(const std::string& key) {
  static const std::map<std::string, std::string> kNames = {{"s", "src"},
                                                            {"d", "dst"},
                                                            {"ttl", "TTL"},
                                                            {"tos", "TOS"},
                                                            {"df", "DF"},
                                                            {"mf", "MF"},
                                                            {"off", "fragment offset"},
                                                            {"len", "total length"},
                                                            {"p", "protocol"},
                                                            {"sp", "src port"},
                                                            {"dp", "dst port"},
                                                            {"pl", "payload length"},
                                                            {"it", "ICMP type"},
                                                            {"ic", "ICMP code"},
                                                            {"mtu", "next-hop MTU"},
                                                            {"seq", "ICMP seq"},
                                                            {"fl", "TCP flags"}};
  const auto it = kNames.find(key);
  return it == kNames.end() ? key : it->second;
}

// The fields that tell two normalised packets apart, for marking a row of the diff, by name.
std::vector<std::string> differing_fields(const Json& a, const Json& b) {
  std::vector<std::string> out;
  for (const char* part : {"h", "i"}) {
    if (!a.contains(part) || !b.contains(part)) {
      if (a.contains(part) != b.contains(part)) {
        out.emplace_back(part[0] == 'h' ? "header" : "inner packet");
      }
      continue;
    }
    const std::string prefix = part[0] == 'i' ? "inner " : "";
    for (const auto& [key, value] : a[part].items()) {
      if (key == "id" || key == "q") {
        continue;
      }
      if (!b[part].contains(key) || b[part][key] != value) {
        out.push_back(prefix + field_name(key));
      }
    }
    for (const auto& [key, value] : b[part].items()) {
      if (!a[part].contains(key) && key != "id" && key != "q") {
        out.push_back(prefix + field_name(key));
      }
    }
  }
  return out;
}

// `position`: the packet's 1-based place among the capture's IPv4 packets, to find it again.
Json packet_json(const PcapRecord& record, std::size_t position) {
  Json p;
  p["n"] = position;
  p["t"] = record.time_ns;
  if (const auto ip = Ipv4View::parse(record.bytes)) {
    p["h"] = header_json(*ip);
    if (ip->protocol() == ipproto::kIpip && ip->fragment_offset_bytes() == 0) {
      if (auto inner = Ipv4View::parse(ip->payload())) {
        p["i"] = header_json(*inner);
      }
    }
  }
  return p;
}

std::map<std::string, std::filesystem::path> pcaps_in(const std::filesystem::path& dir) {
  std::map<std::string, std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pcap") {
      out[entry.path().stem().string()] = entry.path();
    }
  }
  return out;
}

}  // namespace

std::string render_run_report(const RunSummary& summary, const std::string& summary_json, const RunRecorder& recorder) {
  std::string data = R"({"kind":"run","summary":)";
  data += script_safe(summary_json);
  data += R"(,"run":)";
  data += script_safe(recorder.to_json());
  data += "}";
  return page(fmt::format("tunlab {}: {} ({}, seed {})", summary.passed() ? "PASS" : "FAIL", summary.scenario,
                          summary.backend, summary.seed),
              data);
}

std::string render_sweep_report(const std::string& summary_json, const SweepFailureRun& first_failure) {
  std::string data = R"({"kind":"sweep","summary":)";
  data += script_safe(summary_json);
  if (first_failure.summary != nullptr && first_failure.recorder != nullptr) {
    data += R"(,"run_summary":)";
    data += script_safe(first_failure.summary->to_json());
    data += R"(,"run":)";
    data += script_safe(first_failure.recorder->to_json());
  }
  data += "}";
  std::string title = "tunlab sweep";
  try {
    const Json j = Json::parse(summary_json);
    title = fmt::format("tunlab sweep {}: {} of {} seeds failed", j.value("scenario", std::string()),
                        j.value("failed", 0), j.value("seeds", 0));
  } catch (const nlohmann::json::exception&) {
  }
  return page(title, data);
}

std::string render_diff_report(const std::filesystem::path& a, const std::filesystem::path& b,
                               const std::vector<CaptureDifference>& differences) {
  Json summary;
  summary["a"] = a.string();
  summary["b"] = b.string();
  summary["same"] = differences.empty();
  summary["differences"] = Json::array();
  for (const CaptureDifference& d : differences) {
    summary["differences"].push_back({{"capture", d.capture}, {"what", d.what}});
  }
  const auto in_a = pcaps_in(a);
  const auto in_b = pcaps_in(b);
  std::map<std::string, std::pair<std::filesystem::path, std::filesystem::path>> names;
  for (const auto& [name, path] : in_a) {
    names[name].first = path;
  }
  for (const auto& [name, path] : in_b) {
    names[name].second = path;
  }
  Json captures = Json::array();
  // Rows drawn, over all captures: past kMaxDiffRows the rest are only counted, so the page and
  // its memory do not grow with the captures (two 15 MB pcaps are hundreds of thousands of rows).
  std::size_t rows_left = kMaxDiffRows;
  std::size_t rows_omitted = 0;
  for (const auto& [name, paths] : names) {
    Json c;
    c["name"] = name;
    const auto read = [](const std::filesystem::path& p) {
      return p.empty() ? std::vector<PcapRecord>{} : read_ipv4_pcap(p, NonIpv4Frames::skip);
    };
    const std::vector<PcapRecord> ra = read(paths.first);
    const std::vector<PcapRecord> rb = read(paths.second);
    c["in_a"] = !paths.first.empty();
    c["in_b"] = !paths.second.empty();
    // Per flow (outer source > destination), in first-appearance order across both sides; each
    // side's packets by their index in its capture.
    std::vector<std::string> order;
    std::map<std::string, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> flows;
    const auto flow_of = [](const PcapRecord& r) {
      const auto ip = Ipv4View::parse(r.bytes);
      return ip ? ip->src().to_string() + " > " + ip->dst().to_string() : std::string("non-IPv4");
    };
    for (const auto* side : {&ra, &rb}) {
      for (std::size_t i = 0; i < side->size(); ++i) {
        const std::string f = flow_of((*side)[i]);
        if (flows.count(f) == 0) {
          order.push_back(f);
        }
        (side == &ra ? flows[f].first : flows[f].second).push_back(i);
      }
    }
    Json flow_list = Json::array();
    std::size_t differing = 0;
    for (const std::string& f : order) {
      const auto& [fa, fb] = flows[f];
      const auto keys_of = [](const std::vector<PcapRecord>& records, const std::vector<std::size_t>& at) {
        std::vector<DiffKey> keys;
        keys.reserve(at.size());
        for (const std::size_t i : at) {
          keys.push_back(diff_key(records[i].bytes));
        }
        return keys;
      };
      const std::vector<DiffKey> ka = keys_of(ra, fa);
      const std::vector<DiffKey> kb = keys_of(rb, fb);
      std::size_t paired = 0;
      std::size_t only_a = 0;
      std::size_t only_b = 0;
      std::size_t changed = 0;
      Json rows = Json::array();
      // The flow's counts cover every row, drawn or not, so the summary line stays true past the limit.
      for (const AlignedRow& aligned : align_packets(ka, kb)) {
        const bool has_a = aligned.a != kNoPacket;
        const bool has_b = aligned.b != kNoPacket;
        const PcapRecord* pa = has_a ? &ra[fa[aligned.a]] : nullptr;
        const PcapRecord* pb = has_b ? &rb[fb[aligned.b]] : nullptr;
        const bool is_changed = has_a && has_b && normalise_ipv4(pa->bytes) != normalise_ipv4(pb->bytes);
        paired += has_a && has_b ? 1 : 0;
        only_a += has_b ? 0 : 1;
        only_b += has_a ? 0 : 1;
        changed += is_changed ? 1 : 0;
        differing += has_a && has_b && !is_changed ? 0 : 1;
        if (rows_left == 0) {
          ++rows_omitted;
          continue;
        }
        --rows_left;
        Json row;
        if (has_a) {
          row["a"] = packet_json(*pa, fa[aligned.a] + 1);
        }
        if (has_b) {
          row["b"] = packet_json(*pb, fb[aligned.b] + 1);
        }
        if (!has_a || !has_b) {
          row["k"] = "gap";
          row["gap"] = has_a ? "b" : "a";  // the side that lacks the packet
          row["diff"] = std::vector<std::string>{has_a ? "only in A" : "only in B"};
        } else if (is_changed) {
          std::vector<std::string> fields = differing_fields(row["a"], row["b"]);
          if (fields.empty()) {
            fields.emplace_back("payload bytes");
          }
          row["k"] = "changed";
          row["diff"] = fields;
        }
        rows.push_back(row);
      }
      flow_list.push_back({{"flow", f},
                           {"paired", paired},
                           {"only_a", only_a},
                           {"only_b", only_b},
                           {"changed", changed},
                           {"rows", rows}});
    }
    c["flows"] = flow_list;
    c["differing"] = differing;
    captures.push_back(c);
  }
  const std::string summary_json = safe_text::dump_json(summary, 2);
  Json diff{{"captures", captures}};
  diff["rows_omitted"] = rows_omitted;
  diff["max_rows"] = kMaxDiffRows;
  std::string data = R"({"kind":"diff","summary":)";
  data += script_safe(summary_json);
  data += R"(,"diff":)";
  data += script_safe(safe_text::dump_json(diff));
  data += "}";
  return page(fmt::format("tunlab diff: {} vs {} ({})", a.string(), b.string(),
                          differences.empty() ? "no difference" : fmt::format("{} differences", differences.size())),
              data);
}

void write_report(const std::filesystem::path& path, const std::string& html) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw InputError(path.string() + ": --report: cannot write the report");
  }
  out.write(html.data(), static_cast<std::streamsize>(html.size()));
  out.close();
  if (!out) {
    throw InputError(path.string() + ": --report: write failed");
  }
}

}  // namespace tunlab::report
