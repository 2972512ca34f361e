// Internal to the report: which packet of one capture is which packet of the other, per flow, for
// the diff page. Pairing by position would turn one lost packet into a difference on every later
// row; pairing by what the packet carries leaves a lost packet as one gap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "tunlab/wire/packet.hpp"

namespace tunlab::report::detail {

// What a packet is, as opposed to how it travelled: the innermost packet's protocol, addresses,
// ports, ICMP type and code (for an ICMP error the packet it quotes) and a hash of its payload.
// TTL, TOS, DF, IDs, checksums and lengths of outer headers stay out: those are what a diff shows.
struct DiffKey {
  std::string identity;
  std::uint64_t payload = 0;  // FNV-1a of the innermost payload bytes

  friend bool operator==(const DiffKey& x, const DiffKey& y) {
    return x.payload == y.payload && x.identity == y.identity;
  }
  friend bool operator!=(const DiffKey& x, const DiffKey& y) { return !(x == y); }
  friend bool operator<(const DiffKey& x, const DiffKey& y) {
    return std::tie(x.identity, x.payload) < std::tie(y.identity, y.payload);
  }
};

DiffKey diff_key(ByteView ipv4);

inline constexpr std::size_t kNoPacket = std::numeric_limits<std::size_t>::max();

// One row of an aligned flow: positions in A's and B's packets, kNoPacket on the side that lacks it.
struct AlignedRow {
  std::size_t a = kNoPacket;
  std::size_t b = kNoPacket;
  friend bool operator==(const AlignedRow& x, const AlignedRow& y) { return x.a == y.a && x.b == y.b; }
};

// Rows in the order of both sides. Only equal keys pair, in order when a key repeats; every other
// packet is a row of its side alone (a packet whose payload changed is one row of each side).
// O((|a| + |b|) log) time: every step is a lookup in a map of positions, never a table over both.
std::vector<AlignedRow> align_packets(const std::vector<DiffKey>& a, const std::vector<DiffKey>& b);

}  // namespace tunlab::report::detail
