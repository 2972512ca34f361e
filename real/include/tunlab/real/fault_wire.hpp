// A user-space wire for a link with seeded faults on the real backend. The kernel here has no
// netem, so a faulted link is not one veth pair but two, each ending in a namespace of the wire's
// own (A.eth <-> wire "w0a", wire "w0b" <-> B.eth); a thread reads every frame from one wire end
// with AF_PACKET and writes it to the other, carrying out the shared link fault model
// (harness/link_faults.hpp): the decision for the n-th IPv4 packet of a direction is the one the
// simulator makes for its n-th packet, drawn from the same named stream
// (Random::derive(seed, "link:wan.right")). Frames that are not IPv4 (ARP) pass untouched and
// consume no decision. Delays (jitter, reordering) are held on CLOCK_MONOTONIC timers; how late
// each held frame really left is measured. Kernel stacks and forwarding stay real on both sides.
// docs/real-backend.md#faulted-links-the-user-space-wire.
#pragma once

#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tunlab/harness/link_faults.hpp"
#include "tunlab/os/fd.hpp"
#include "tunlab/os/netns.hpp"

namespace tunlab::real {

// What one direction of a wire did.
struct WireDirectionStats {
  std::uint64_t frames = 0;      // every frame carried or dropped, ARP included
  std::uint64_t ip_packets = 0;  // IPv4 packets: each had one decision
  std::uint64_t dropped = 0;
  std::uint64_t corrupted = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t delayed = 0;
  std::uint64_t send_errors = 0;  // a write to the far end failed (counted, the frame is lost)
};

// An IPv4 packet the wire dropped, with the reason (link-loss or fault-targeted); or, with
// `extra_corrupted_copy`, the second copy of a packet it both corrupted and duplicated (as it left:
// the receiving kernel drops both copies and counts each, the simulator counts the packet once).
struct WireDrop {
  DropReason reason = DropReason::link_loss;
  std::vector<std::uint8_t> ip;
  bool extra_corrupted_copy = false;
};

class FaultWire {
public:
  // Direction 0 carries frames from end a to end b, direction 1 from b to a; each has its own
  // fault model (a default LinkFaults passes everything and draws nothing). `ns` holds both wire
  // ends, `end_a` and `end_b` (up, with no address), whose MTU is `mtu`: frames are read into
  // slots of mtu + 14 bytes (a longer one, which the MTU rules out, is lost and counted as a send
  // error). Opens both sockets; the thread starts with start().
  FaultWire(const os::Netns& ns, const std::string& end_a, const std::string& end_b, LinkFaults a_to_b,
            LinkFaults b_to_a, std::size_t mtu = 1500);
  ~FaultWire();
  FaultWire(const FaultWire&) = delete;
  FaultWire& operator=(const FaultWire&) = delete;

  void start();
  // Stops the thread; held frames still waiting are discarded and counted (held_at_stop).
  void stop();

  // Readable (an eventfd) when drops are waiting in take_drops().
  int notify_fd() const { return notify_fd_.get(); }
  std::vector<WireDrop> take_drops();
  // After stop(): the fault log per direction (what shrinking replays), stats, and how late each
  // held frame left, in ns (sorted).
  const LinkFaults& faults(int direction) const { return directions_[direction].faults; }
  WireDirectionStats stats(int direction) const;
  std::vector<std::int64_t> delay_errors_ns() const;
  std::uint64_t held_at_stop() const { return held_at_stop_; }

private:
  struct Direction {
    LinkFaults faults;
    int in = -1;
    int out = -1;
    WireDirectionStats stats;
  };
  struct Held {
    std::int64_t due_ns = 0;
    std::uint64_t sequence = 0;  // ties leave in the order they were held
    int direction = 0;
    std::vector<std::uint8_t> frame;
  };

  void loop();
  void receive(int direction);
  void carry(int direction, std::uint8_t* frame, std::size_t size);
  void send(int direction, const std::uint8_t* frame, std::size_t size);
  void flush(int direction);
  void report(WireDrop drop);
  void release_due();
  void arm_timer();

  os::Fd sock_a_;
  os::Fd sock_b_;
  os::Fd timer_fd_;
  os::Fd stop_fd_;
  os::Fd notify_fd_;
  std::array<Direction, 2> directions_;
  std::vector<Held> held_;  // a min-heap on (due_ns, sequence)
  std::uint64_t sequence_ = 0;
  std::vector<std::int64_t> delay_errors_ns_;
  std::uint64_t held_at_stop_ = 0;
  mutable std::mutex mutex_;  // guards drops_
  std::vector<WireDrop> drops_;
  static constexpr std::size_t kBatch = 64;
  std::size_t slot_ = 0;                     // the largest frame: MTU + Ethernet header
  std::vector<std::uint8_t> buffer_;         // kBatch frames of slot_ bytes
  std::array<iovec, kBatch * 2> pending_{};  // frames to write, in order (a duplicate twice)
  std::size_t pending_count_ = 0;
  std::thread thread_;
};

// Turns off transmit checksum offload (and with it TSO, scatter-gather and GSO) on `ifname` in
// `ns`: a frame the wire reads must be whole, with its checksums filled in and no larger than the
// MTU, as it would be once on a real cable.
void disable_tx_offloads(const os::Netns& ns, const std::string& ifname);

}  // namespace tunlab::real
