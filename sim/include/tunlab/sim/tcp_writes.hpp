// TCP writes the simulated stacks sent as TSO super-packets: the sending host registers each
// (origin, first sequence number, payload size), and the receiving host's socket collects the
// segments that arrive for it and hands its application the write whole, once every byte is in.
// The simulator's TCP has no retransmission or acknowledgments: a lost segment loses the write
// (its origin was already dropped with the loss's reason). Without this, one injected packet
// would reach the app as several pieces, each compared with the whole payload that was sent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "tunlab/wire/packet.hpp"

namespace tunlab::sim {

class TcpWrites {
public:
  // The sender split `origin`'s write of `payload_bytes` bytes starting at sequence `first_seq`.
  void sent(std::uint32_t origin, std::uint32_t first_seq, std::size_t payload_bytes);
  bool registered(std::uint32_t origin) const { return writes_.find(origin) != writes_.end(); }

  enum class Arrival {
    partial,    // stored; the write still misses bytes
    complete,   // this segment completed the write: `whole` holds its payload
    duplicate,  // bytes the socket already had (a copy, or a segment of a completed write)
  };
  // A segment of a registered write arrived with `payload` at sequence `seq`. Bytes outside the
  // write are ignored, as a receive window would.
  Arrival arrived(std::uint32_t origin, std::uint32_t seq, ByteView payload, std::vector<std::uint8_t>& whole);

private:
  struct Write {
    std::uint32_t first_seq = 0;
    std::vector<std::uint8_t> data;
    std::vector<bool> have;  // per byte
    std::size_t missing = 0;
    bool complete = false;
  };
  std::map<std::uint32_t, Write> writes_;  // ordered: nothing depends on hash order
};

}  // namespace tunlab::sim
