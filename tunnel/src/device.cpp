#include "tunlab/tunnel/device.hpp"

namespace tunlab {

std::size_t Device::read_batch(std::span<Packet> out) {
  std::size_t n = 0;
  while (n < out.size()) {
    const IoResult result = read(out[n]);
    if (result.status == IoStatus::would_block) {
      break;
    }
    if (result.ok()) {
      ++n;
    }
  }
  return n;
}

std::size_t Device::write_batch(std::span<const Packet> packets) {
  std::size_t n = 0;
  for (const Packet& packet : packets) {
    if (!write(packet.bytes()).ok()) {
      break;
    }
    ++n;
  }
  return n;
}

}  // namespace tunlab
