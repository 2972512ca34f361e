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
  return truncated_to_read_buffer(inner_.read(out), out);
}

IoResult FaultyDevice::write_gso(const Packet& packet) {
  if (gso_write_einval_) {
    return {IoStatus::invalid_packet, 0, 0, EINVAL};
  }
  return inner_.write_gso(packet);
}

IoResult FaultyDevice::truncated_to_read_buffer(const IoResult& result, Packet& packet) const {
  if (read_buffer_ > 0 && result.ok() && packet.size() > read_buffer_) {
    packet.resize(read_buffer_);
    return {IoStatus::truncated, read_buffer_};
  }
  return result;
}

std::size_t FaultyDevice::read_many(std::span<Packet> out, std::span<IoResult> results) {
  if (!inner_.capabilities().batched_io) {
    return Device::read_many(out, results);
  }
  if (out.empty() || results.empty()) {
    return 0;
  }
  if (eagain_ > 0 && inner_.readable() && random_.chance(eagain_)) {
    results[0] = {IoStatus::would_block, 0, 0, EAGAIN};
    return 1;
  }
  const std::size_t got = inner_.read_many(out, results);
  for (std::size_t i = 0; i < got; ++i) {
    results[i] = truncated_to_read_buffer(results[i], out[i]);
  }
  return got;
}

}  // namespace tunlab
