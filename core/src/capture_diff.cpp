#include "tunlab/capture_diff.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "tunlab/capture.hpp"
#include "tunlab/input_error.hpp"
#include "tunlab/ipv4.hpp"

namespace tunlab {

namespace {

void zero16(std::vector<std::uint8_t>& bytes, std::size_t at) {
  if (at + 1 < bytes.size()) {
    bytes[at] = 0;
    bytes[at + 1] = 0;
  }
}

// Normalises the IPv4 packet starting at `offset` of `bytes` in place, recursing into IPIP inner
// packets and ICMP quotes (depth-limited against crafted nesting).
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
    case ipproto::kUdp:
      zero16(bytes, l4 + 6);
      break;
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

}  // namespace

std::vector<std::uint8_t> normalise_ipv4(ByteView packet) {
  std::vector<std::uint8_t> bytes(packet.begin(), packet.end());
  normalise_at(bytes, 0, 0);
  return bytes;
}

std::vector<CaptureDifference> diff_capture_dirs(const std::filesystem::path& a, const std::filesystem::path& b) {
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
    const std::size_t n = std::min(ra.size(), rb.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto na = normalise_ipv4(ra[i].bytes);
      const auto nb = normalise_ipv4(rb[i].bytes);
      if (na != nb) {
        differences.push_back({name, fmt::format("IPv4 packet {}: {}", i + 1, first_difference(na, nb))});
        break;  // later packets usually differ as a consequence
      }
    }
    if (ra.size() != rb.size()) {
      differences.push_back({name, fmt::format("{} IPv4 packets vs {}", ra.size(), rb.size())});
    }
  }
  return differences;
}

}  // namespace tunlab
