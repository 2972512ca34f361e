// The kernel's TUN/TAP device (/dev/net/tun) behind the Device interface: non-blocking, with or
// without the 4-byte packet-information header, optionally multi-queue.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tunlab/os/fd.hpp"
#include "tunlab/os/vnet_header.hpp"
#include "tunlab/tunnel/device.hpp"

namespace tunlab::os {

class UringBatch;

struct TunOptions {
  std::string name = "tun0";  // empty: the kernel picks tunN/tapN
  DeviceKind kind = DeviceKind::tun;
  // false: IFF_NO_PI. true: every packet carries u16 flags + be16 EtherType on the fd; read()
  // strips it (reporting the kernel's truncation flag) and write() adds it.
  bool packet_info = false;
  // > 1 opens the device with IFF_MULTI_QUEUE and attaches this many fds (kernel limit 256).
  std::size_t queues = 1;
  std::size_t mtu = 1500;  // set with SIOCSIFMTU after creation
  bool bring_up = true;
  // Bytes read() accepts per packet (link header included, PI excluded); a longer packet is
  // truncated. 0: 65535 + an Ethernet header, so nothing is ever cut by accident.
  std::size_t read_buffer = 0;
  // Ask for segmentation offloads: IFF_VNET_HDR, then TUNSETOFFLOAD(CSUM | TSO4 | TSO6), then a
  // probe GSO write. Whatever the kernel refuses is simply off (offloads() says what is on); the
  // device works either way.
  bool offloads = false;
  // Batched reads and writes (read_many/write_many) through io_uring, one system call for many
  // packets, where the kernel allows it (single queue only). false: one system call each.
  bool batched_io = true;
};

class TunDevice final : public Device {
public:
  // Creates (or attaches to) the device in the calling thread's network namespace; call it
  // inside run_in() to put it in a Netns. The device lives until the last queue fd closes.
  // Throws std::system_error saying what was attempted (open /dev/net/tun, TUNSETIFF, MTU, up).
  explicit TunDevice(const TunOptions& options);
  ~TunDevice() override;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  std::string_view name() const override { return name_; }
  // batched_io when batched_io was asked for and the kernel took io_uring (batched_io_note()
  // says why not).
  DeviceCapabilities capabilities() const override {
    return {.kind = options_.kind,
            .mtu = mtu_,
            .offloads = offloads_,
            .hardware_address = hardware_address_,
            .batched_io = uring_ != nullptr};
  }
  DeviceOffloads offloads() const { return offloads_; }
  IoResult read(Packet& out) override;
  // poll() with no timeout on poll_fd(): one system call, for wrappers that ask before reading.
  bool readable() const override;
  IoResult write(ByteView packet) override;
  IoResult write_gso(const Packet& packet) override;
  // Why an offload requested in TunOptions is off (empty when all are on or none was asked).
  const std::string& offload_note() const { return offload_note_; }
  std::size_t read_many(std::span<Packet> out, std::span<IoResult> results) override;
  // Without io_uring: one write each, spread over the queues.
  std::size_t write_many(std::span<const Packet> packets, std::span<IoResult> results) override;
  const std::string& batched_io_note() const { return uring_note_; }
  // Single queue: the queue's fd. Multi-queue: an epoll fd over all queues (readable when any is).
  int poll_fd() const override;

  std::size_t queue_count() const { return queue_fds_.size(); }
  int queue_fd(std::size_t queue) const { return queue_fds_.at(queue).get(); }
  // Reads/writes one specific queue (tests; per-queue worker threads).
  IoResult read_queue(std::size_t queue, Packet& out);
  IoResult write_queue(std::size_t queue, ByteView packet, const OffloadInfo& offload = {});

  // Administrative state and MTU, through a control socket opened in the device's namespace at
  // construction, so they are safe to call from any thread.
  void set_up(bool up);
  void set_mtu(std::size_t mtu);
  // Closes one queue fd (tests: the device vanishes when the last one closes).
  void close_queue(std::size_t queue);

private:
  // The buffers and iovecs of one read or write in flight.
  struct IoSlot {
    std::array<std::uint8_t, 4> pi{};  // struct tun_pi, with IFF_NO_PI off
    VnetHeader vnet{};
    std::vector<std::uint8_t> data;  // reads only
    std::array<iovec, 3> iov{};
    int iov_count = 0;
  };
  static constexpr unsigned kUringDepth = 64;
  void prepare_read(IoSlot& slot) const;
  IoResult finish_read(std::size_t got, const IoSlot& slot, Packet& out) const;
  std::uint16_t pi_protocol(ByteView packet) const;
  std::size_t read_capacity() const;
  void enable_offloads(int fd);
  bool gso_write_accepted();

  std::optional<std::array<std::uint8_t, 6>> hardware_address_;  // tap: SIOCGIFHWADDR
  bool vnet_header_ = false;                                     // IFF_VNET_HDR: 10 bytes before every packet on the fd
  DeviceOffloads offloads_;
  std::string offload_note_;
  TunOptions options_;
  std::string name_;
  std::size_t mtu_ = 0;
  // Declared so that they close in reverse: the epoll fd, the queues, then the control socket.
  Fd control_fd_;  // AF_INET datagram socket in the device's namespace, for SIOCSIF*
  std::vector<Fd> queue_fds_;
  Fd epoll_fd_;  // multi-queue only
  std::size_t next_read_queue_ = 0;
  std::size_t next_write_queue_ = 0;
  IoSlot read_slot_;  // read_queue's
  std::unique_ptr<UringBatch> uring_;
  std::string uring_note_;
  std::vector<IoSlot> read_slots_;
  std::vector<IoSlot> write_slots_;
  std::vector<int> uring_results_;
  std::size_t reads_per_batch_ = 2;
};

// Maps a read/write errno from a tun fd to the shared IoStatus (EAGAIN → would_block,
// EIO → device_down, EINVAL → invalid_packet, EMSGSIZE → message_too_big, else error).
IoStatus tun_errno_status(int err);

}  // namespace tunlab::os
