// FaultyDevice: the scenario's read-side device faults (`eagain`, `read_buffer`) as a wrapper
// around any Device, so the same faults run on the simulator's SimDevice and on the real
// backend's TunDevice (smoltcp's FaultInjector<D> is the model).
//
// What wraps and what stays a device property, and why:
//   eagain, read_buffer  wrap. They are how app B's read() call behaves, pure user-space: a
//                        spurious EAGAIN while packets wait, a read buffer shorter than the
//                        packet. No kernel knob gives either, so on the real backend nothing but
//                        a wrapper can produce them, and one wrapper on both backends is one
//                        implementation of the rule.
//   queue_limit          stays a device property: it is the TUN device's txqueuelen, which a
//                        real tun has too (tun.c drops beyond it); SimDevice drops with
//                        device-queue-full where the kernel's tun queue would, and the real
//                        backend sets txqueuelen over netlink.
//   down_at, up_at       stay a device property: the link state of the interface, which the
//                        host stack sees (routes, drops before the device) and a wrapper around
//                        app B's end cannot. SimDevice schedules them on its clock; the real
//                        backend sets the tun's link state over netlink at those offsets.
//   gso_write            wraps: `einval` refuses every GSO write with EINVAL before the device
//                        sees it, as Linux 6.6.44 refused some, on a kernel that accepts them
//                        all. app B's fallback (per-segment writes) is what it exercises.
//
// Determinism: wake-ups in the simulator are unchanged, so every golden and digest stays.
//   - The EAGAIN draw comes from the stream SimDevice drew from ("device:HOST.DEV", derived from
//     the run's seed), at the same moments: one draw per read() that finds a packet waiting
//     (inner.readable()), none when the device is empty, none when eagain is 0.
//   - The wrapper holds no packet. A faulted read leaves the packet in the inner device, so the
//     inner device stays readable and its driver re-wakes app B exactly as before: SimDevice
//     after kEagainRetry while its queue is non-empty; the kernel's level-triggered epoll at once.
//     A wrapper that took the packet and stashed it would hide it from both.
//   - Truncation happens after the inner read, on the packet read whole (Packet::resize, as
//     SimDevice did), and reports truncated with the bytes kept, as TUN reads do; the caller
//     drops the packet (device-read-truncated), so nothing is lost unexplained.
//
// Other writes, the name, the capabilities (batched I/O included) and poll_fd pass straight
// through.
#pragma once

#include <cstddef>

#include "tunlab/harness/random.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/device.hpp"

namespace tunlab {

class FaultyDevice final : public Device {
public:
  // `inner` must outlive the wrapper. `random` is the device's own stream,
  // Random::derive(seed, stream_name(host, device)). Uses faults.eagain and faults.read_buffer
  // (0 = no truncation); the other fields are the device's own (see above).
  FaultyDevice(Device& inner, const scenario::DeviceFaultSpec& faults, Random random);

  // "device:HOST.DEV", the name of a device's fault stream.
  static std::string stream_name(const std::string& host, const std::string& device);

  std::string_view name() const override { return inner_.name(); }
  // The inner device's, batched_io included: device faults on the real backend keep io_uring.
  DeviceCapabilities capabilities() const override { return inner_.capabilities(); }

  // would_block (EAGAIN) with probability eagain when a packet waits, leaving it waiting;
  // otherwise the inner read, truncated to read_buffer bytes when longer.
  IoResult read(Packet& out) override;
  bool readable() const override { return inner_.readable(); }
  // Over a batching device: one EAGAIN draw for the batch (when a packet waits), then the inner
  // batch with each result truncated to read_buffer. Otherwise read() one at a time, so the
  // simulator draws exactly as before.
  std::size_t read_many(std::span<Packet> out, std::span<IoResult> results) override;
  // The inner device's batch: writes carry no fault.
  std::size_t write_many(std::span<const Packet> packets, std::span<IoResult> results) override {
    return inner_.write_many(packets, results);
  }

  IoResult write(ByteView packet) override { return inner_.write(packet); }
  IoResult write_packet(Packet&& packet) override { return inner_.write_packet(std::move(packet)); }
  // invalid_packet (EINVAL) with gso_write einval, the packet untouched; otherwise the inner one.
  IoResult write_gso(const Packet& packet) override;
  int poll_fd() const override { return inner_.poll_fd(); }

  Device& inner() { return inner_; }

private:
  IoResult truncated_to_read_buffer(const IoResult& result, Packet& packet) const;

  Device& inner_;
  double eagain_;
  std::size_t read_buffer_;
  bool gso_write_einval_;
  Random random_;
};

}  // namespace tunlab
