#include "tunlab/sim/tcp_writes.hpp"

namespace tunlab::sim {

void TcpWrites::sent(std::uint32_t origin, std::uint32_t first_seq, std::size_t payload_bytes) {
  Write& write = writes_[origin];
  write.first_seq = first_seq;
  write.data.assign(payload_bytes, 0);
  write.have.assign(payload_bytes, false);
  write.missing = payload_bytes;
  write.complete = false;
}

TcpWrites::Arrival TcpWrites::arrived(std::uint32_t origin, std::uint32_t seq, ByteView payload,
                                      std::vector<std::uint8_t>& whole) {
  auto found = writes_.find(origin);
  if (found == writes_.end() || found->second.complete) {
    return Arrival::duplicate;
  }
  Write& write = found->second;
  bool added = false;
  // Sequence arithmetic is modulo 2^32: the offset of a byte before the write wraps past its size.
  const std::uint32_t offset = seq - write.first_seq;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const std::size_t at = static_cast<std::uint32_t>(offset + i);
    if (at >= write.data.size() || write.have[at]) {
      continue;
    }
    write.data[at] = payload[i];
    write.have[at] = true;
    --write.missing;
    added = true;
  }
  if (!added) {
    return Arrival::duplicate;
  }
  if (write.missing > 0) {
    return Arrival::partial;
  }
  write.complete = true;
  whole = std::move(write.data);
  write.data = {};
  write.have = {};
  return Arrival::complete;
}

}  // namespace tunlab::sim
