// IPv4 reassembly (RFC 791 / RFC 815) for a simulated host: fragments are kept per
// (src, dst, protocol, id) in an ordered map, so the result never depends on hash order.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <tuple>
#include <vector>

#include "tunlab/sim/event_queue.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab::sim {

class Reassembler {
public:
  static constexpr Time kTimeout = 30'000'000'000;  // Linux ipfrag_time: 30 s

  // Adds a fragment. When it completes its datagram, writes the whole packet to `whole` and
  // returns true. `fragment` must be a parsed IPv4 fragment (MF set or offset non-zero).
  // `whole.origin` is the first fragment's origin; fragments injected separately (different
  // origins) are listed in `merged_origins` so their fate can follow the whole packet's.
  bool add(Packet&& fragment, Time now, Packet& whole, std::vector<std::uint32_t>& merged_origins);
  // Drops datagrams whose first fragment arrived more than kTimeout ago; calls `expired` with
  // the origin of each.
  void expire(Time now, const std::function<void(std::uint32_t origin)>& expired);
  // Origins of datagrams still waiting for fragments.
  std::vector<std::uint32_t> pending_origins() const;
  std::size_t pending() const { return pending_.size(); }

private:
  using Key = std::tuple<std::uint32_t, std::uint32_t, std::uint8_t, std::uint16_t>;
  struct Datagram {
    Time first_seen = 0;
    std::uint32_t origin = 0;
    std::vector<std::uint32_t> other_origins;
    std::size_t total_payload = 0;  // known once the fragment without MF arrives
    bool have_last = false;
    std::vector<Packet> fragments;
  };
  bool complete(const Datagram& datagram) const;
  static Packet join(Datagram& datagram);

  std::map<Key, Datagram> pending_;
};

}  // namespace tunlab::sim
