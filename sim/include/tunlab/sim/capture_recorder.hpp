// Captures as a tap: one pcap per interface of a built network, both directions, streamed as
// packets pass (see CaptureSet: the run's digest is taken over them). Simulated links carry bare
// IPv4 packets; the capture of an Ethernet interface on a link shows the frame a veth would.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "tunlab/capture/capture.hpp"
#include "tunlab/sim/packet_tap.hpp"

namespace tunlab::sim {

class Network;

class CaptureRecorder final : public PacketTap {
public:
  // Opens a capture for every interface `network` has (so build it first), streamed into
  // DIR/HOST-IFACE.pcap, or into temporary files without a directory.
  CaptureRecorder(const Network& network, const std::optional<std::filesystem::path>& dir);

  void seen(Time at, const Interface& interface, Direction direction, std::uint32_t origin, ByteView bytes) override;
  const CaptureSet& captures() const { return captures_; }

private:
  CaptureSet captures_;
  std::vector<std::size_t> capture_of_;  // by Interface::id
};

}  // namespace tunlab::sim
