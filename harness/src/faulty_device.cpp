#include "tunlab/harness/faulty_device.hpp"

#include <cerrno>

namespace tunlab {

FaultyDevice::FaultyDevice(Device& inner, const scenario::DeviceFaultSpec& faults, Random random)
    : inner_(inner),
      eagain_(faults.eagain),
      read_buffer_(faults.read_buffer),
      gso_write_einval_(faults.gso_write_einval),
      random_(random) {}

std::string FaultyDevice::stream_name(const std::string& host, const std::string& device) {
  return "device:" + host + "." + device;
}

IoResult FaultyDevice::read(Packet& out) {
  // The draw only for a read that would find a packet: an empty device says EAGAIN anyway.
  if (eagain_ > 0 && inner_.readable() && random_.chance(eagain_)) {
    return {IoStatus::would_block, 0, 0, EAGAIN};
  }
  IoResult result = inner_.read(out);
  if (read_buffer_ > 0 && result.ok() && out.size() > read_buffer_) {
    out.resize(read_buffer_);
    return {IoStatus::truncated, read_buffer_};
  }
  return result;
}

IoResult FaultyDevice::write_gso(const Packet& packet) {
  if (gso_write_einval_) {
    return {IoStatus::invalid_packet, 0, 0, EINVAL};
  }
  return inner_.write_gso(packet);
}

std::size_t FaultyDevice::read_batch(std::span<Packet> out) {
  std::size_t n = 0;
  while (n < out.size()) {
    const IoResult result = read(out[n]);
    if (result.status == IoStatus::would_block || result.status == IoStatus::error) {
      break;
    }
    if (result.ok()) {
      ++n;
    }
  }
  return n;
}

}  // namespace tunlab
