// The supervisor behind ProgramApp: receives the program's trapped system calls and answers them
// from the simulation, until the program blocks. One object per program; not thread-safe (the
// simulator calls one app at a time).
#pragma once

#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "launch.hpp"
#include "sim_random.hpp"
#include "staging_area.hpp"
#include "target_memory.hpp"
#include "tunlab/program/program_app.hpp"
#include "tunlab/tunnel/underlay.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab::program {

enum class FileKind { tun, raw_ipip, udp, urandom, epoll, timer };

struct EpollInterest {
  std::uint32_t events = 0;
  std::uint64_t data = 0;
};

// An ICMP error for a socket's error queue: what reported it, and the quoted packet.
struct QueuedError {
  UnderlayError error;
  std::vector<std::uint8_t> quoted;
};

// A file the program holds at one of the reserved numbers.
struct SimFile {
  FileKind kind = FileKind::tun;
  bool nonblocking = false;
  bool attached = false;  // tun: TUNSETIFF done
  // raw socket: what the kernel would apply to a send without IP_HDRINCL.
  bool hdrincl = false;
  int ttl = 64;
  int tos = 0;
  bool df = true;  // IP_PMTUDISC_WANT, the default for raw sockets
  std::uint16_t next_id = 0;
  std::optional<Ipv4Address> connected;
  // udp: the bound port (0: not yet; the first send binds one) and the connected peer's port.
  std::uint16_t port = 0;
  std::uint16_t peer_port = 0;
  // IP_RECVERR: ICMP errors about what this socket sent, read with MSG_ERRQUEUE (at most 64).
  bool recverr = false;
  // timer: the next expiry on the virtual clock (-1: disarmed), the period (0: once), the clock.
  std::int64_t timer_next = -1;
  std::int64_t timer_interval = 0;
  bool timer_realtime = false;
  std::deque<QueuedError> errors;
  std::map<int, EpollInterest> interest;  // epoll: by descriptor, so waits report in fd order
};

inline SimFile make_file(FileKind kind, bool nonblocking) {
  SimFile file;
  file.kind = kind;
  file.nonblocking = nonblocking;
  return file;
}

// A packet the program read, kept until it sends it on (its origin goes with it) or the run ends.
struct HeldPacket {
  std::uint32_t origin = 0;
  std::vector<std::uint8_t> inner;  // the bytes the program should pass on
};

// How a handler left a call.
struct Outcome {
  bool blocked = false;
  std::optional<std::int64_t> timeout_ns;  // blocked: when the wait gives up, if ever
};

class Supervisor {
public:
  Supervisor(const ProgramSpec& spec, const AppEnvironment& environment);
  ~Supervisor();

  // Lets the program run at `now_ns` until it blocks again (or returns at once if it stays
  // blocked). Throws ProgramRefused or ProgramEnded.
  void run(std::int64_t now_ns);
  std::int64_t deadline() const { return waiting_ ? waiting_->deadline : AppB::kNoDeadline; }
  AppCounters counters() const;
  // The run is over: every packet the program took and did not pass on (read from the device or
  // the socket, or still in its socket's queue) is reported as absorbed by the program.
  void report_held();

private:
  struct Waiting {
    seccomp_notif call{};
    std::int64_t deadline = AppB::kNoDeadline;
  };

  // The loop.
  seccomp_notif next_call();
  Outcome dispatch(const seccomp_notif& call, bool expired);
  [[noreturn]] void ended(const std::string& how);
  [[noreturn]] void refuse(const seccomp_notif& call, const std::string& what, const std::string& why);

  // Answers.
  void reply(const seccomp_notif& call, std::int64_t value);
  void fail(const seccomp_notif& call, int error);
  void continue_natively(const seccomp_notif& call);
  void place(const seccomp_notif& call, SimFile file, bool cloexec);
  // After reading the program's memory: whether the call is still pending (else it died).
  void check_valid(const seccomp_notif& call);

  // Handlers (calls_*.cpp).
  Outcome on_open(const seccomp_notif& call, std::uint64_t path, std::uint64_t flags);
  Outcome on_socket(const seccomp_notif& call);
  Outcome on_fd_call(const seccomp_notif& call, SimFile& file, bool expired);
  Outcome on_ioctl(const seccomp_notif& call, SimFile& file);
  Outcome on_interface_ioctl(const seccomp_notif& call, unsigned long request, std::uint64_t arg);
  Outcome on_fcntl(const seccomp_notif& call, SimFile& file);
  Outcome on_setsockopt(const seccomp_notif& call, SimFile& file);
  Outcome on_getsockopt(const seccomp_notif& call, SimFile& file);
  Outcome on_read(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers, int flags,
                  std::uint64_t address_out, std::uint64_t address_length_out, std::uint64_t msghdr_out);
  Outcome on_write(const seccomp_notif& call, SimFile& file, const std::vector<std::uint8_t>& bytes,
                   std::optional<Ipv4Address> destination, std::uint16_t destination_port);
  Outcome on_udp_read(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers, int flags,
                      std::uint64_t address_out, std::uint64_t address_length_out, std::uint64_t msghdr_out);
  Outcome on_udp_write(const seccomp_notif& call, SimFile& file, const std::vector<std::uint8_t>& bytes,
                       std::optional<Ipv4Address> destination, std::uint16_t destination_port);
  Outcome on_bind(const seccomp_notif& call, SimFile& file);
  // A packet the program wrote to a device with IFF_VNET_HDR: the header checked and taken off,
  // a checksum it left to the device (VIRTIO_NET_HDR_F_NEEDS_CSUM) filled in. Empty if refused.
  std::optional<std::vector<std::uint8_t>> from_vnet(const seccomp_notif& call, const std::vector<std::uint8_t>& bytes,
                                                     OffloadInfo& offload);
  // What a read of `packet` from the device gives the program: the virtio_net_hdr first with
  // IFF_VNET_HDR.
  std::vector<std::uint8_t> as_read(const Packet& packet) const;
  // recvmsg(MSG_ERRQUEUE): the oldest queued ICMP error, with its IP_RECVERR control message.
  Outcome on_error_queue(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers,
                         std::uint64_t msghdr_out);
  void queue_error(const UnderlayError& error, const Packet& quoted);
  // timerfd (calls_timer.cpp).
  Outcome on_timerfd_create(const seccomp_notif& call);
  Outcome on_timerfd_settime(const seccomp_notif& call, SimFile& file);
  Outcome on_timerfd_gettime(const seccomp_notif& call, SimFile& file);
  Outcome on_timer_read(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers);
  std::uint64_t expirations(const SimFile& file) const;
  // In how many ns the first armed timer among `fds` expires (0 if it already has).
  std::optional<std::int64_t> next_expiry(const std::vector<int>& fds) const;
  // A wait that blocks until `timeout_ns` (negative: for ever) or the first of `watched`'s timers.
  Outcome blocked_until(std::int64_t timeout_ns, const std::vector<int>& watched) const;
  // Where a received datagram came from, into recvfrom's address or recvmsg's header.
  void tell_source(const seccomp_notif& call, const sockaddr_in& source, bool truncated, std::uint64_t address_out,
                   std::uint64_t address_length_out, std::uint64_t msghdr_out);
  // Binds `file` to `port` (0: the next free ephemeral port); false with errno set otherwise.
  bool bind_udp(SimFile& file, std::uint16_t port, int& error);
  Outcome on_epoll_ctl(const seccomp_notif& call, SimFile& file);
  Outcome on_epoll_wait(const seccomp_notif& call, SimFile& file, std::int64_t timeout_ns, bool expired);
  Outcome on_poll(const seccomp_notif& call, std::int64_t timeout_ns, bool expired);
  Outcome on_select(const seccomp_notif& call, std::int64_t timeout_ns, bool expired);
  Outcome on_clock(const seccomp_notif& call);
  Outcome on_sleep(const seccomp_notif& call, bool expired);
  Outcome on_random(const seccomp_notif& call, std::uint64_t address, std::size_t size);

  // Helpers.
  std::uint32_t readiness(int fd);
  void drain_underlay();
  std::optional<std::vector<iovec>> read_iovecs(const seccomp_notif& call, std::uint64_t address, std::size_t count);
  std::optional<std::vector<std::uint8_t>> gather(const seccomp_notif& call, const std::vector<iovec>& buffers);
  bool scatter(const std::vector<iovec>& buffers, const std::uint8_t* data, std::size_t size);
  std::int64_t realtime_ns() const;
  std::int64_t monotonic_ns() const;
  std::uint32_t take_origin(std::deque<HeldPacket>& held, const std::vector<std::uint8_t>& bytes);
  void hold(std::deque<HeldPacket>& held, std::uint32_t origin, std::vector<std::uint8_t> bytes);
  std::string describe_call(const seccomp_notif& call) const;

  // Staging (staging.cpp).
  static staging::Area* map_staging_area(int fd);
  void reconcile();  // at every trapped call: account what the program took, unstage the rest
  void stage();      // before every answer: publish the clock, the descriptors and the packets waiting
  void stage_queue(int queue);
  void took_staged(int queue, const Packet& packet, std::size_t taken);
  IoResult read_device(Packet& packet);  // packets staged and given back first
  bool device_readable() const;

  ProgramSpec spec_;
  AppEnvironment env_;  // a copy: it holds references to the driver's objects, which outlive the app
  Launched process_;
  TargetMemory memory_;
  SimRandom random_;
  std::int64_t now_ = 0;
  std::optional<Waiting> waiting_;
  std::map<int, SimFile> files_;
  std::deque<Packet> received_;  // the raw socket's receive queue, drained from the Underlay
  // IFF_VNET_HDR: the size of the virtio_net_hdr before every packet on the device (0: none).
  std::size_t vnet_header_ = 0;
  std::size_t vnet_size_ = 10;                                // TUNSETVNETHDRSZ, sizeof(virtio_net_hdr) by default
  std::map<std::uint16_t, std::deque<Packet>> udp_received_;  // by bound port: whole outer datagrams
  std::uint16_t next_ephemeral_port_ = 32768;                 // Linux's ip_local_port_range starts here
  staging::Area* area_ = nullptr;
  std::deque<Packet> staged_[2];                  // what the area holds now, by queue
  std::deque<Packet> unread_tun_;                 // staged from the device, not taken, given back: read first
  std::optional<IoResult> pending_device_error_;  // a device read failed while staging
  std::deque<HeldPacket> from_device_;
  std::deque<HeldPacket> from_underlay_;
  bool refused_ = false;
  bool exited_ = false;
  std::uint64_t trapped_ = 0;
  std::uint64_t staged_reads_ = 0;  // reads the shim answered from the staging area
  std::uint64_t device_reads_ = 0;
  std::uint64_t device_writes_ = 0;
  std::uint64_t underlay_sends_ = 0;
  std::uint64_t underlay_receives_ = 0;
};

}  // namespace tunlab::program
