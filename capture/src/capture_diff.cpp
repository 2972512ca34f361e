#include "tunlab/capture/capture_diff.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "tunlab/capture/capture.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab {

namespace {

void zero16(std::vector<std::uint8_t>& bytes, std::size_t at) {
  if (at + 1 < bytes.size()) {
    bytes[at] = 0;
    bytes[at + 1] = 0;
  }
}

// Normalises the IPv4 packet starting at `offset` of `bytes` in place, recursing into IPIP inner
// packets, IP-in-UDP datagrams and ICMP quotes (depth-limited against crafted nesting).
void normalise_at(std::vector<std::uint8_t>& bytes, std::size_t offset, int depth) {
  const auto ip = Ipv4View::parse(ByteView(bytes).subspan(offset));
  if (!ip || depth > 4) {
    return;
  }
  const std::size_t header = ip->header_length();
  const std::uint8_t protocol = ip->protocol();
  const bool first_fragment = ip->fragment_offset_bytes() == 0;
  zero16(bytes, offset + 4);   // identification
  zero16(bytes, offset + 10);  // header checksum
  const std::size_t l4 = offset + header;
  if (!first_fragment || l4 >= bytes.size()) {
    return;
  }
  switch (protocol) {
    case ipproto::kUdp: {
      zero16(bytes, l4 + 6);
      // IP in UDP (a tunnel carried over UDP): a datagram that is exactly one IPv4 packet.
      const auto carried = Ipv4View::parse(ByteView(bytes).subspan(std::min(l4 + 8, bytes.size())));
      if (carried && carried->total_length() == bytes.size() - (l4 + 8)) {
        normalise_at(bytes, l4 + 8, depth + 1);
      }
      break;
    }
    case ipproto::kTcp:
      zero16(bytes, l4 + 16);
      break;
    case ipproto::kIcmp:
      zero16(bytes, l4 + 2);
      if (l4 < bytes.size() && (bytes[l4] == 0 || bytes[l4] == 8)) {
        zero16(bytes, l4 + 4);  // echo identifier: chosen by the kernel for ping sockets
      } else if (l4 < bytes.size() && (bytes[l4] == 3 || bytes[l4] == 11 || bytes[l4] == 12)) {
        normalise_at(bytes, l4 + 8, depth + 1);
      }
      break;
    case ipproto::kIpip:
      normalise_at(bytes, l4, depth + 1);
      break;
    default:
      break;
  }
}

std::string first_difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) {
      return fmt::format("byte {}: {:#04x} vs {:#04x}", i, a[i], b[i]);
    }
  }
  return fmt::format("length {} vs {}", a.size(), b.size());
}

std::map<std::string, std::filesystem::path> pcaps_in(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw InputError(dir.string() + ": not a capture folder");
  }
  std::map<std::string, std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".pcap") {
      out[entry.path().stem().string()] = entry.path();
    }
  }
  return out;
}

// Indices of the records of each flow (outer source and destination address), in capture order.
std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::size_t>> by_flow(
    const std::vector<PcapRecord>& records) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::size_t>> flows;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto ip = Ipv4View::parse(records[i].bytes);
    flows[ip ? std::make_pair(ip->src_raw(), ip->dst_raw()) : std::make_pair(0u, 0u)].push_back(i);
  }
  return flows;
}

}  // namespace

std::vector<std::uint8_t> normalise_ipv4(ByteView packet) {
  std::vector<std::uint8_t> bytes(packet.begin(), packet.end());
  normalise_at(bytes, 0, 0);
  return bytes;
}

std::vector<CaptureDifference> diff_capture_dirs(const std::filesystem::path& a, const std::filesystem::path& b,
                                                 const DiffOptions& options) {
  const auto in_a = pcaps_in(a);
  const auto in_b = pcaps_in(b);
  std::set<std::string> names;
  for (const auto& [name, path] : in_a) {
    names.insert(name);
  }
  for (const auto& [name, path] : in_b) {
    names.insert(name);
  }
  std::vector<CaptureDifference> differences;
  for (const std::string& name : names) {
    auto pa = in_a.find(name);
    auto pb = in_b.find(name);
    if (pa == in_a.end() || pb == in_b.end()) {
      differences.push_back({name, pa == in_a.end() ? "only in " + b.string() : "only in " + a.string()});
      continue;
    }
    const auto ra = read_ipv4_pcap(pa->second, NonIpv4Frames::skip);
    const auto rb = read_ipv4_pcap(pb->second, NonIpv4Frames::skip);
    // Packets are compared in order within each flow (outer source, destination) but not across
    // flows: how a request and its reply interleave with the next request depends on link
    // delays, which the simulator models (1 ms by default) and the real backend cannot (no netem
    // on veths), so e.g. ping's request 2 precedes reply 1 in one and follows it in the other.
    const auto fa = by_flow(ra);
    const auto fb = by_flow(rb);
    for (const auto& [flow, packets_a] : fa) {
      const auto other = fb.find(flow);
      if (other == fb.end()) {
        continue;  // counted below
      }
      const auto& packets_b = other->second;
      const std::size_t n = std::min(packets_a.size(), packets_b.size());
      const auto normalised = [&](const std::vector<PcapRecord>& records, const std::vector<std::size_t>& packets) {
        std::vector<std::pair<std::vector<std::uint8_t>, std::size_t>> out;
        for (const std::size_t i : packets) {
          out.emplace_back(normalise_ipv4(records[i].bytes), i);
        }
        if (options.ignore_order) {
          std::sort(out.begin(), out.end());
        }
        return out;
      };
      const auto sa = normalised(ra, packets_a);
      const auto sb = normalised(rb, packets_b);
      bool differs = false;
      for (std::size_t i = 0; i < n && !differs; ++i) {
        const auto& na = sa[i].first;
        const auto& nb = sb[i].first;
        if (na != nb) {
          differences.push_back({name, fmt::format("IPv4 packet {}: {}", sa[i].second + 1, first_difference(na, nb))});
          differs = true;  // later packets usually differ as a consequence
        }
      }
      if (differs) {
        break;
      }
    }
    if (ra.size() != rb.size()) {
      differences.push_back({name, fmt::format("{} IPv4 packets vs {}", ra.size(), rb.size())});
    } else {
      // Equal totals can still hide a packet that moved from one flow to another.
      std::set<std::pair<std::uint32_t, std::uint32_t>> flows;
      for (const auto& [flow, packets] : fa) {
        flows.insert(flow);
      }
      for (const auto& [flow, packets] : fb) {
        flows.insert(flow);
      }
      for (const auto& flow : flows) {
        const std::size_t na = fa.count(flow) != 0 ? fa.at(flow).size() : 0;
        const std::size_t nb = fb.count(flow) != 0 ? fb.at(flow).size() : 0;
        if (na != nb) {
          differences.push_back(
              {name, fmt::format("flow {} > {}: {} IPv4 packets vs {}", from_host_order(flow.first).to_string(),
                                 from_host_order(flow.second).to_string(), na, nb)});
          break;
        }
      }
    }
  }
  return differences;
}

}  // namespace tunlab
