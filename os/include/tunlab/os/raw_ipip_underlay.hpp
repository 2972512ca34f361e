// The kernel's raw IPPROTO_IPIP socket behind the Underlay interface. Sends with IP_HDRINCL so
// the outer header carries exactly the encapsulator's fields; receives whole outer packets and,
// through IP_RECVERR, the ICMP errors about what we sent.
//
// Kernel ipip module: on this project's test machines there is none, so a raw protocol-4 socket
// is the only consumer of IPIP packets. Where ipip is loaded (/sys/module/ipip exists) every
// namespace also gets a fallback tunl0 and the kernel sees each IPIP packet too: with no matching
// kernel tunnel up it answers the sender with ICMP 3/3 (port unreachable, rate-limited), and with
// one up it decapsulates a second copy. Our peers then see 3/3 errors, which the engine does not
// relay (RFC 2003 §4.1). kernel_ipip_loaded() lets callers warn; keep kernel ipip tunnels down in
// the namespaces the tunnel runs in.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tunlab/os/fd.hpp"
#include "tunlab/tunnel/underlay.hpp"

namespace tunlab::os {

enum class PeerFilter {
  // Every IPIP packet reaching the socket goes to the engine, which drops and counts packets
  // from other sources with a named reason (what the simulator's raw socket does).
  engine,
  // The underlay drops packets whose outer source is not `remote` (or destination not `local`)
  // and counts them in foreign_dropped().
  userspace,
  // connect(remote) + bind(local): the kernel never hands us other packets. With no ipip module it
  // answers them with ICMP 3/2 (protocol unreachable) and counts Ip InUnknownProtos.
  kernel,
};

struct RawIpipOptions {
  Ipv4Address local;
  Ipv4Address remote;
  PeerFilter filter = PeerFilter::engine;
  // Super-packet mode: an outer datagram above its fragment_size leaves through a second raw
  // socket without IP_HDRINCL, and the kernel fragments it (one system call and one route lookup
  // per datagram instead of per fragment). The fragments then carry an ID the kernel chose, not
  // OuterHeader::id; TOS, TTL, source and the clear DF stay the encapsulator's. Datagrams from
  // another source than `local` (which must then be an address of this namespace) are
  // fragmented here.
  bool kernel_fragments = false;
};

// True when the kernel's ipip module is loaded (see the header comment for what changes).
bool kernel_ipip_loaded();

class RawIpipUnderlay final : public Underlay {
public:
  // Opens the socket in the calling thread's network namespace (call inside run_in for a Netns).
  // `local` must be an address of that namespace when filter == kernel. Throws std::system_error.
  explicit RawIpipUnderlay(const RawIpipOptions& options);
  ~RawIpipUnderlay() override;
  RawIpipUnderlay(const RawIpipUnderlay&) = delete;
  RawIpipUnderlay& operator=(const RawIpipUnderlay&) = delete;

  // Writes outer (protocol 4, checksum and total length computed here) in front of `inner` and
  // sends the whole packet. The caller guarantees outer.id != 0 when it wants that exact ID: with
  // IP_HDRINCL Linux keeps a non-zero ID and only chooses one when it is 0 (raw_send_hdrinc).
  // message_too_big carries the route's MTU (local device or learned path MTU).
  IoResult send(const OuterHeader& outer, Packet&& inner) override;
  // sendmmsg: the whole batch in one system call where the kernel takes it all.
  std::size_t send_batch_size() const override { return kBatch; }
  void send_batch(std::span<OuterSend> batch) override;
  // Error-queue entries first (ICMP errors from the network; the kernel's own local EMSGSIZE
  // notes are skipped, send() already reported them), then packets. For an error, `out` holds
  // the quoted bytes starting with the outer header we sent. Packets arrive through recvmmsg,
  // up to kBatch per system call; the error queue is looked at before each such call.
  UnderlayEvent receive(Packet& out, UnderlayError& error) override;
  int poll_fd() const override { return fd_.get(); }
  std::size_t buffered() const override { return filled_slots_ - next_slot_; }

  // The kernel's current MTU for the route to `remote` (IP_MTU on a connected UDP socket that
  // is re-connected for each query, so a freshly learned path MTU shows).
  std::optional<std::uint32_t> path_mtu();

  std::uint64_t foreign_dropped() const { return foreign_dropped_; }
  std::uint64_t local_errors_skipped() const { return local_errors_skipped_; }
  // Datagrams the kernel fragmented (RawIpipOptions::kernel_fragments); the rest of those above
  // their fragment_size were fragmented here.
  std::uint64_t kernel_fragmented() const { return kernel_fragmented_; }
  // True when the kernel fragments datagrams of this size from `local` (kernel_fragments on, `local`
  // an address here, and the route MTU to the remote exactly `fragment_size`). Asked of the
  // kernel once per distinct size.
  bool kernel_fragments_at(std::uint16_t fragment_size);

  static constexpr std::size_t kBatch = 64;

private:
  UnderlayEvent receive_error(Packet& out, UnderlayError& error, bool& retry);
  // One recvmmsg into the slots; false when nothing was waiting.
  bool refill();
  // Writes the outer header in front of `inner` (IP_HDRINCL); false when it cannot be sent.
  static bool prepend_outer(const OuterHeader& outer, Packet& inner);
  IoResult send_result(int err);
  // Super-packet mode: an outer datagram above outer.fragment_size goes out as fragments.
  static bool needs_fragments(const OuterHeader& outer, const Packet& inner);
  IoResult send_fragments(const OuterHeader& outer, Packet&& inner);
  // sendmsg on fragmenting_fd_ (bound to the local address) with TOS and TTL as control messages.
  IoResult send_kernel_fragmented(const OuterHeader& outer, const Packet& inner);

  RawIpipOptions options_;
  Fd fd_;
  Fd mtu_probe_fd_;    // UDP socket in the same namespace, only for IP_MTU
  Fd fragmenting_fd_;  // kernel_fragments only: no IP_HDRINCL, DF never set, bound to local, receives nothing
  std::uint16_t checked_fragment_size_ = 0;
  bool kernel_fragment_size_matches_ = false;
  std::vector<std::uint8_t> scratch_;
  // recvmmsg slots: kBatch buffers of 64 KiB (a reassembled outer datagram may be that big);
  // [next_slot_, filled_slots_) hold received packets not yet handed out.
  std::vector<Packet> fragments_;  // send_fragments' pieces, reused
  std::vector<std::uint8_t> slots_;
  std::vector<std::size_t> slot_lengths_;
  std::size_t next_slot_ = 0;
  std::size_t filled_slots_ = 0;
  std::uint64_t foreign_dropped_ = 0;
  std::uint64_t local_errors_skipped_ = 0;
  std::uint64_t kernel_fragmented_ = 0;
};

}  // namespace tunlab::os
