// TAP frame handling: any bytes as one frame read from a tap device, through the whole engine
// (proxy ARP, EtherType checks, encapsulation). Oracles: one frame read, and every outer packet
// sent is a well-formed IPv4 packet within the tunnel MTU.
#include <deque>

#include "fuzz_support.hpp"
#include "tunlab/tunnel/tunnel_engine.hpp"

using namespace tunlab;

namespace {

class OneFrameDevice : public Device {
public:
  explicit OneFrameDevice(ByteView frame) : frame_(frame) {}
  std::string_view name() const override { return "tap0"; }
  DeviceCapabilities capabilities() const override {
    DeviceCapabilities can;
    can.kind = DeviceKind::tap;
    can.mtu = 1480;
    return can;
  }
  IoResult read(Packet& out) override {
    if (done_) {
      return {IoStatus::would_block};
    }
    done_ = true;
    out = Packet(frame_);
    return {IoStatus::ok, frame_.size()};
  }
  IoResult write(ByteView packet) override {
    if (packet.size() < 14) {
      fuzz::oracle_failed("tap: wrote a frame shorter than an Ethernet header");
    }
    return {IoStatus::ok, packet.size()};
  }

private:
  ByteView frame_;
  bool done_ = false;
};

class CheckingUnderlay : public Underlay {
public:
  std::size_t mtu = 0;
  IoResult send(const OuterHeader&, Packet&& inner) override {
    const auto ip = Ipv4View::parse(inner.bytes());
    if (!ip || inner.size() > mtu || ip->total_length() != inner.size()) {
      fuzz::oracle_failed("tap: sent something that is not a fitting IPv4 packet");
    }
    return {IoStatus::ok, inner.size()};
  }
  UnderlayEvent receive(Packet&, UnderlayError&) override { return UnderlayEvent::nothing; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  TunnelConfig config;
  config.local = Ipv4Address("18.12.0.92");
  config.remote = Ipv4Address("18.13.0.91");
  config.inner_address = Ipv4Address("10.0.0.12");
  OneFrameDevice device(ByteView(data, size));
  CheckingUnderlay underlay;
  TunnelEngine engine(config, device, underlay);
  underlay.mtu = engine.tunnel_mtu(0);
  engine.poll_device(0);
  if (engine.counters().device_packets_read + engine.counters().drops[DropReason::device_read_truncated] != 1) {
    fuzz::oracle_failed("tap: the frame was not read exactly once");
  }
  return 0;
}
