#include "tunlab/tunnel/device.hpp"

#include <algorithm>

namespace tunlab {

std::size_t Device::read_many(std::span<Packet> out, std::span<IoResult> results) {
  const std::size_t limit = std::min(out.size(), results.size());
  for (std::size_t i = 0; i < limit; ++i) {
    results[i] = read(out[i]);
    if (results[i].status == IoStatus::would_block || results[i].status == IoStatus::error) {
      return i + 1;
    }
  }
  return limit;
}

std::size_t Device::write_many(std::span<const Packet> packets, std::span<IoResult> results) {
  const std::size_t limit = std::min(packets.size(), results.size());
  for (std::size_t i = 0; i < limit; ++i) {
    results[i] = write(packets[i].bytes());
    if (!results[i].ok()) {
      return i + 1;
    }
  }
  return limit;
}

}  // namespace tunlab
