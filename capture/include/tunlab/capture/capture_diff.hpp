// Compares two capture folders (e.g. the simulator's and the real backend's) packet by packet,
// after normalising what legitimately differs between two runs of the same scenario: timestamps,
// link headers (MACs), non-IPv4 frames (ARP), IPv4 IDs, header and transport checksums, the
// ICMP echo identifier the kernel picks for ping sockets, the precedence bits Linux sets on the
// ICMP errors it sends, and the interleaving of different flows (outer source/destination pairs),
// which depends on link delays; within a flow the order must agree. Inner packets of IPIP and
// packets quoted in ICMP errors are normalised the same way.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

struct CaptureDifference {
  std::string capture;  // "left-eth0"
  std::string what;     // one line: "packet 3: ttl 64 vs 63" or "only in A"
};

struct DiffOptions {
  // Compare each flow's packets as a multiset (sorted once normalised) instead of in order: the
  // same packets lost, duplicated and corrupted, whatever their order. For link faults with
  // jitter or reordering, where packets due at (nearly) the same time leave in an order real
  // timers cannot reproduce (`tunlab diff --ignore-order`).
  bool ignore_order = false;
};

// Every difference between the *.pcap files of `a` and `b`; empty when they agree. Throws
// InputError for a missing folder or an unreadable capture.
std::vector<CaptureDifference> diff_capture_dirs(const std::filesystem::path& a, const std::filesystem::path& b,
                                                 const DiffOptions& options = {});

// The normalised form of one IPv4 packet (exposed for tests).
std::vector<std::uint8_t> normalise_ipv4(ByteView packet);

}  // namespace tunlab
