// Captures on real interfaces: one AF_PACKET socket per interface, opened inside the interface's
// namespace and bound to its ifindex, seeing both directions (PACKET_IGNORE_OUTGOING stays off).
// Records keep the kernel's receive timestamp and whether the packet left or entered the host, so
// callers can write pcaps with the simulator's names and link types and tell a host's own
// transmissions from what it received.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tunlab/capture/capture.hpp"
#include "tunlab/os/fd.hpp"
#include "tunlab/os/netns.hpp"

namespace tunlab::real {

struct CapturedFrame {
  std::int64_t realtime_ns = 0;     // CLOCK_REALTIME of the kernel's timestamp (SO_TIMESTAMPNS)
  bool outgoing = false;            // PACKET_OUTGOING: the host sent it out of this interface
  std::vector<std::uint8_t> bytes;  // as on the interface: IP for tun, Ethernet for veth/tap
};

// A frame's time in a capture: its offset from the run's start, never before the capture's
// previous frame. The kernel stamps a frame on the CPU that received it, and AF_PACKET queues
// frames in the order they reach the socket, which can trail a stamp taken on another CPU by a
// microsecond; a capture keeps the order it saw, and a pcap whose time runs back is bad input
// to replay and diff.
inline std::int64_t capture_offset_ns(const CapturedFrame& frame, std::int64_t start_realtime_ns,
                                      std::int64_t previous_ns) {
  return std::max({std::int64_t{0}, frame.realtime_ns - start_realtime_ns, previous_ns});
}

class PacketCapture {
public:
  // Opens the socket inside `ns` on interface `ifname` (which must exist there). `link_type`
  // says what the frames carry (raw for tun, ethernet otherwise). Throws std::system_error.
  PacketCapture(const os::Netns& ns, const std::string& ifname, LinkType link_type);
  ~PacketCapture();
  PacketCapture(const PacketCapture&) = delete;
  PacketCapture& operator=(const PacketCapture&) = delete;

  int fd() const { return fd_.get(); }
  LinkType link_type() const { return link_type_; }
  // Reads every frame queued now (non-blocking) and appends it to frames().
  void drain();
  const std::vector<CapturedFrame>& frames() const { return frames_; }

  // The IPv4 packet a frame carries (Ethernet header stripped), or an empty view for ARP and
  // anything else that is not IPv4.
  ByteView ipv4_of(const CapturedFrame& frame) const;

private:
  os::Fd fd_;
  LinkType link_type_;
  std::vector<CapturedFrame> frames_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace tunlab::real
