// /dev/net/tun as a Device: TUNSETIFF, MTU/up through an ioctl socket in the device's namespace,
// PI header handling and multi-queue fan-in (drivers/net/tun.c; docs/linux-tun-and-raw-sockets.md, "TUN/TAP").
#include "tunlab/os/tun_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "tunlab/os/vnet_header.hpp"
#include "tunlab/wire/byte_order.hpp"
#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "uring_batch.hpp"

namespace tunlab::os {

namespace {

constexpr std::size_t kPiLength = 4;  // struct tun_pi: u16 flags, be16 proto
constexpr std::size_t kDefaultReadBuffer = 65535 + EthernetView::kHeader;

ifreq make_ifreq(const std::string& name) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return ifr;
}

IoResult from_errno(int err) {
  return {tun_errno_status(err), 0, 0, err};
}

}  // namespace

IoStatus tun_errno_status(int err) {
  switch (err) {
    case EAGAIN:
      return IoStatus::would_block;
    case EIO:
      return IoStatus::device_down;
    case EINVAL:
      return IoStatus::invalid_packet;
    case EMSGSIZE:
      return IoStatus::message_too_big;
    case ENETUNREACH:
      return IoStatus::no_route;
    default:
      return IoStatus::error;
  }
}

TunDevice::TunDevice(const TunOptions& options) : options_(options) {
  if (options_.queues == 0 || options_.queues > 256) {
    throw_errno("TunDevice: queues must be 1..256", EINVAL);
  }
  short flags = options_.kind == DeviceKind::tun ? IFF_TUN : IFF_TAP;
  if (!options_.packet_info) {
    flags |= IFF_NO_PI;
  }
  if (options_.queues > 1) {
    flags |= IFF_MULTI_QUEUE;
  }
  if (options_.offloads) {
    flags |= IFF_VNET_HDR;
    vnet_header_ = true;
  }
  // On a throw the members already opened close themselves.
  for (std::size_t q = 0; q < options_.queues; ++q) {
    const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EACCES || err == EPERM) {
        throw_errno(
            "open /dev/net/tun: /dev/net/tun not accessible (mode 0600; needs CAP_NET_ADMIN in the "
            "owning user namespace)",
            err);
      }
      throw_errno("open /dev/net/tun", err);
    }
    queue_fds_.emplace_back(fd);
    // The first TUNSETIFF creates the device (in the opener's namespace); later ones attach queues.
    ifreq ifr = make_ifreq(q == 0 ? options_.name : name_);
    ifr.ifr_flags = flags;
    if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
      const int err = errno;
      std::string what = "TUNSETIFF " + std::string(options_.kind == DeviceKind::tun ? "IFF_TUN" : "IFF_TAP") +
                         " name '" + (q == 0 ? options_.name : name_) + "' queue " + std::to_string(q);
      if (err == EBUSY) {
        what += " (device exists and is attached: single-queue devices take one fd)";
      } else if (err == EPERM) {
        what += " (needs CAP_NET_ADMIN)";
      } else if (err == EINVAL) {
        what += " (existing device has other flags, e.g. TUN vs TAP or multi-queue)";
      }
      throw_errno(what, err);
    }
    if (q == 0) {
      name_ = ifr.ifr_name;
      if (options_.offloads) {
        enable_offloads(fd);
      }
    }
  }
  control_fd_ = Fd::checked(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
                            "socket(AF_INET, SOCK_DGRAM) for SIOCSIF* on '" + name_ + "'");
  set_mtu(options_.mtu);
  if (options_.kind == DeviceKind::tap) {
    ifreq hw = make_ifreq(name_);
    if (::ioctl(control_fd_.get(), SIOCGIFHWADDR, &hw) == 0) {
      std::array<std::uint8_t, 6> mac{};
      std::memcpy(mac.data(), hw.ifr_hwaddr.sa_data, mac.size());
      hardware_address_ = mac;
    }
  }
  if (options_.bring_up) {
    set_up(true);
  }
  if (options_.offloads) {
    offloads_.gso_writes = gso_write_accepted();
  }
  if (options_.batched_io && queue_fds_.size() == 1) {
    uring_ = UringBatch::open(kUringDepth, uring_note_);
    if (uring_) {
      // Every read slot and its buffer now, not as busier batches first need them: a daemon's
      // memory is then what it will stay (the soak test saw it grow by 2.3 MB in steps).
      read_slots_.resize(uring_->depth());
      for (IoSlot& slot : read_slots_) {
        prepare_read(slot);
      }
    }
  } else if (options_.batched_io) {
    uring_note_ = "batched I/O is for a single queue";
  }
  if (queue_fds_.size() > 1) {
    epoll_fd_ = Fd::checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1 for the queues of '" + name_ + "'");
    for (std::size_t q = 0; q < queue_fds_.size(); ++q) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = q;
      if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, queue_fds_[q].get(), &ev) != 0) {
        throw_errno("epoll_ctl ADD queue " + std::to_string(q) + " of '" + name_ + "'");
      }
    }
  }
}

void TunDevice::enable_offloads(int fd) {
  int header_size = static_cast<int>(kVnetHeaderLength);
  if (::ioctl(fd, TUNSETVNETHDRSZ, &header_size) != 0) {
    throw_errno("TUNSETVNETHDRSZ " + std::to_string(header_size) + " on '" + name_ + "'");
  }
  // TSO6 too, although IPv6 is not tunnelled: the kernel only hands out TSO when the device
  // claims it for the families it might send, and a TCPv6 super-packet is dropped like any
  // IPv6 packet (encap-not-ipv4), just in one piece.
  const unsigned long features = kTunOffloadChecksum | kTunOffloadTso4 | kTunOffloadTso6;
  if (::ioctl(fd, TUNSETOFFLOAD, features) != 0) {
    offload_note_ =
        "TUNSETOFFLOAD(CSUM|TSO4|TSO6) refused (" + std::string(std::strerror(errno)) + "): no super-packet reads";
    return;
  }
  offloads_.super_packet_reads = true;
}

bool TunDevice::gso_write_accepted() {
  // One GSO write the stack must drop whatever it makes of it: TCP from 0.0.0.0 (a martian
  // source, dropped by the route lookup before any socket sees it) to TEST-NET-1, TTL 1, two
  // segments with a short last one - the shape Linux 6.6.44 refused with EINVAL.
  constexpr std::size_t kHeader = 40;
  constexpr std::uint16_t kSegment = 100;
  Packet probe = Packet::with_size(kHeader + kSegment + 10);
  std::memset(probe.data(), 0, probe.size());
  std::uint8_t* p = probe.data();
  Ipv4HeaderFields ip;
  ip.src = Ipv4Address("0.0.0.0");
  ip.dst = Ipv4Address("192.0.2.1");
  ip.protocol = ipproto::kTcp;
  ip.ttl = 1;
  ip.df = true;
  write_ipv4_header(MutableByteView(p, 20), ip, static_cast<std::uint16_t>(probe.size()));
  p[20 + 12] = 0x50;  // data offset 5
  p[20 + 13] = 0x10;  // ACK
  probe.offload.gso_type = GsoType::tcpv4;
  probe.offload.needs_checksum = true;
  probe.offload.header_length = kHeader;
  probe.offload.segment_size = kSegment;
  probe.offload.checksum_start = 20;
  probe.offload.checksum_offset = 16;
  if (options_.kind == DeviceKind::tap) {
    // To a locally administered unicast MAC nobody has.
    write_ethernet_header({probe.push_front(EthernetView::kHeader), EthernetView::kHeader}, {0x02, 0, 0, 0, 0, 0}, {},
                          ethertype::kIpv4);
    probe.offload.header_length = static_cast<std::uint16_t>(probe.offload.header_length + EthernetView::kHeader);
    probe.offload.checksum_start = static_cast<std::uint16_t>(probe.offload.checksum_start + EthernetView::kHeader);
  }
  const IoResult result = write_queue(0, probe.bytes(), probe.offload);
  if (result.ok()) {
    return true;
  }
  offload_note_ = "GSO write refused (" + std::string(std::strerror(result.sys_errno)) +
                  "): coalesced segments are written one by one";
  return false;
}

TunDevice::~TunDevice() = default;

void TunDevice::set_mtu(std::size_t mtu) {
  ifreq ifr = make_ifreq(name_);
  ifr.ifr_mtu = static_cast<int>(mtu);
  if (::ioctl(control_fd_.get(), SIOCSIFMTU, &ifr) != 0) {
    throw_errno("SIOCSIFMTU " + std::to_string(mtu) + " on '" + name_ + "'");
  }
  mtu_ = mtu;
}

void TunDevice::set_up(bool up) {
  ifreq ifr = make_ifreq(name_);
  if (::ioctl(control_fd_.get(), SIOCGIFFLAGS, &ifr) != 0) {
    throw_errno("SIOCGIFFLAGS on '" + name_ + "'");
  }
  if (up) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
  }
  if (::ioctl(control_fd_.get(), SIOCSIFFLAGS, &ifr) != 0) {
    throw_errno(std::string(up ? "set up" : "set down") + " (SIOCSIFFLAGS) on '" + name_ + "'");
  }
}

void TunDevice::close_queue(std::size_t queue) {
  Fd& fd = queue_fds_.at(queue);
  if (fd.valid()) {
    if (epoll_fd_.valid()) {
      ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd.get(), nullptr);
    }
    fd.reset();
  }
}

int TunDevice::poll_fd() const {
  return epoll_fd_.valid() ? epoll_fd_.get() : queue_fds_.front().get();
}

bool TunDevice::readable() const {
  pollfd p{poll_fd(), POLLIN, 0};
  if (p.fd < 0) {
    return true;  // unknown: the read reports what is wrong
  }
  return ::poll(&p, 1, 0) != 0;  // an error (-1) is "unknown" too
}

std::size_t TunDevice::read_capacity() const {
  return options_.read_buffer != 0 ? options_.read_buffer : kDefaultReadBuffer;
}

void TunDevice::prepare_read(IoSlot& slot) const {
  const std::size_t capacity = read_capacity();
  // Without PI a read that fills the buffer exactly is ambiguous, so ask for one byte more and
  // call a packet truncated when that byte arrives. With PI the kernel sets TUN_PKT_STRIP.
  const std::size_t ask = options_.packet_info ? capacity : capacity + 1;
  // One buffer sized for the largest packet, then a copy of just the bytes read: cheaper than
  // allocating and zeroing 64 KiB in every Packet.
  if (slot.data.size() < ask) {
    slot.data.resize(ask);
  }
  slot.iov_count = 0;
  if (options_.packet_info) {
    slot.iov[slot.iov_count++] = {slot.pi.data(), kPiLength};
  }
  if (vnet_header_) {
    slot.iov[slot.iov_count++] = {slot.vnet.data(), slot.vnet.size()};
  }
  slot.iov[slot.iov_count++] = {slot.data.data(), ask};
}

IoResult TunDevice::finish_read(std::size_t got, const IoSlot& slot, Packet& out) const {
  const std::size_t capacity = read_capacity();
  out.origin = 0;
  if (vnet_header_) {
    if (got < kVnetHeaderLength) {
      return {IoStatus::error, 0, 0, EPROTO};
    }
    got -= kVnetHeaderLength;
    out.offload = decode_vnet_header(slot.vnet);
  } else {
    out.offload = OffloadInfo{};
  }
  if (options_.packet_info) {
    if (got < kPiLength) {
      return {IoStatus::error, 0, 0, EPROTO};
    }
    got -= kPiLength;
    std::uint16_t pi_flags = 0;
    std::memcpy(&pi_flags, slot.pi.data(), sizeof pi_flags);  // host order, as the kernel writes it
    out.assign(ByteView(slot.data.data(), got));
    if ((pi_flags & TUN_PKT_STRIP) != 0) {
      return {IoStatus::truncated, got};
    }
    return {IoStatus::ok, got};
  }
  if (got > capacity) {
    out.assign(ByteView(slot.data.data(), capacity));
    return {IoStatus::truncated, capacity};
  }
  out.assign(ByteView(slot.data.data(), got));
  return {IoStatus::ok, got};
}

IoResult TunDevice::read_queue(std::size_t queue, Packet& out) {
  const int fd = queue_fds_.at(queue).get();
  if (fd < 0) {
    return from_errno(EBADF);
  }
  prepare_read(read_slot_);
  const ssize_t n = ::readv(fd, read_slot_.iov.data(), read_slot_.iov_count);
  if (n < 0) {
    return from_errno(errno);
  }
  return finish_read(static_cast<std::size_t>(n), read_slot_, out);
}

IoResult TunDevice::read(Packet& out) {
  // Fan-in: the kernel spreads flows over queues by hash; start after the last queue served so
  // one busy queue cannot starve the others.
  const std::size_t count = queue_fds_.size();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t q = (next_read_queue_ + i) % count;
    if (!queue_fds_[q].valid()) {
      continue;
    }
    const IoResult result = read_queue(q, out);
    if (result.status != IoStatus::would_block) {
      next_read_queue_ = (q + 1) % count;
      return result;
    }
  }
  return {IoStatus::would_block, 0, 0, EAGAIN};
}

std::uint16_t TunDevice::pi_protocol(ByteView packet) const {
  if (options_.kind == DeviceKind::tun) {
    return ip_version(packet) == 6 ? ethertype::kIpv6 : ethertype::kIpv4;
  }
  const auto ethernet = EthernetView::parse(packet);
  return ethernet ? ethernet->ethertype() : std::uint16_t{0};
}

IoResult TunDevice::write_queue(std::size_t queue, ByteView packet, const OffloadInfo& offload) {
  const int fd = queue_fds_.at(queue).get();
  if (fd < 0) {
    return from_errno(EBADF);
  }
  std::uint8_t pi[kPiLength] = {};
  // A fresh header on every write: a stale one would describe the previous packet.
  VnetHeader vnet = encode_vnet_header(offload);
  iovec iov[3];
  int iov_count = 0;
  if (options_.packet_info) {
    store_be16(pi + 2, pi_protocol(packet));
    iov[iov_count++] = {pi, kPiLength};
  }
  if (vnet_header_) {
    iov[iov_count++] = {vnet.data(), vnet.size()};
  } else if (offload.is_super_packet() || offload.needs_checksum) {
    return from_errno(EINVAL);  // nothing can describe it to the kernel
  }
  iov[iov_count++] = {const_cast<std::uint8_t*>(packet.data()), packet.size()};
  const ssize_t n = ::writev(fd, iov, iov_count);
  if (n < 0) {
    return from_errno(errno);
  }
  const std::size_t written =
      static_cast<std::size_t>(n) - (options_.packet_info ? kPiLength : 0) - (vnet_header_ ? kVnetHeaderLength : 0);
  return {IoStatus::ok, written};
}

IoResult TunDevice::write(ByteView packet) {
  std::size_t q = next_write_queue_;
  for (std::size_t i = 0; i < queue_fds_.size() && !queue_fds_[q].valid(); ++i) {
    q = (q + 1) % queue_fds_.size();
  }
  return write_queue(q, packet);
}

IoResult TunDevice::write_gso(const Packet& packet) {
  if (!offloads_.gso_writes) {
    return from_errno(EINVAL);
  }
  std::size_t q = next_write_queue_;
  for (std::size_t i = 0; i < queue_fds_.size() && !queue_fds_[q].valid(); ++i) {
    q = (q + 1) % queue_fds_.size();
  }
  return write_queue(q, packet.bytes(), packet.offload);
}

std::size_t TunDevice::read_many(std::span<Packet> out, std::span<IoResult> results) {
  if (!uring_ || !queue_fds_[0].valid()) {
    return Device::read_many(out, results);
  }
  // As many reads as the last batch found packets, twice over: a busy queue is read in big
  // batches, a quiet one wastes at most a read or two that find nothing.
  const std::size_t ask = std::min({out.size(), results.size(), reads_per_batch_});
  if (read_slots_.size() < ask) {
    read_slots_.resize(ask);
  }
  const int fd = queue_fds_[0].get();
  for (std::size_t i = 0; i < ask; ++i) {
    prepare_read(read_slots_[i]);
    uring_->queue_read(fd, read_slots_[i].iov.data(), read_slots_[i].iov_count, static_cast<std::uint32_t>(i));
  }
  uring_results_.assign(ask, 0);
  if (!uring_->run([this](std::uint32_t tag, int result) { uring_results_[tag] = result; })) {
    results[0] = from_errno(errno);
    return 1;
  }
  if (uring_results_[0] == -EOPNOTSUPP) {
    // This kernel's TUN does not take RWF_NOWAIT: nothing was read; plain reads from now on.
    uring_.reset();
    uring_note_ = "io_uring reads without waiting refused (EOPNOTSUPP)";
    return Device::read_many(out, results);
  }
  // The reads ran one after another, so their results are in queue order. One that found
  // nothing may be followed by one that found a packet arriving meanwhile: keep that packet.
  std::size_t n = 0;
  std::size_t found = 0;
  bool empty = false;
  for (std::size_t i = 0; i < ask; ++i) {
    const int result = uring_results_[i];
    if (result == -EAGAIN) {
      empty = true;
      continue;
    }
    results[n] =
        result < 0 ? from_errno(-result) : finish_read(static_cast<std::size_t>(result), read_slots_[i], out[n]);
    found += result >= 0 ? 1 : 0;
    ++n;
  }
  reads_per_batch_ = std::clamp<std::size_t>(2 * found, 2, uring_->depth());
  if (empty && n < ask) {
    results[n++] = from_errno(EAGAIN);
  }
  return n;
}

std::size_t TunDevice::write_many(std::span<const Packet> packets, std::span<IoResult> results) {
  if (!uring_ || !queue_fds_[0].valid()) {
    const std::size_t limit = std::min(packets.size(), results.size());
    for (std::size_t i = 0; i < limit; ++i) {
      results[i] = write(packets[i].bytes());
      if (!results[i].ok()) {
        return i + 1;
      }
      next_write_queue_ = (next_write_queue_ + 1) % queue_fds_.size();
    }
    return limit;
  }
  const std::size_t count = std::min({packets.size(), results.size(), std::size_t{uring_->depth()}});
  if (write_slots_.size() < count) {
    write_slots_.resize(count);
  }
  const int fd = queue_fds_[0].get();
  for (std::size_t i = 0; i < count; ++i) {
    IoSlot& slot = write_slots_[i];
    const ByteView packet = packets[i].bytes();
    slot.iov_count = 0;
    if (options_.packet_info) {
      store_be16(slot.pi.data(), 0);
      store_be16(slot.pi.data() + 2, pi_protocol(packet));
      slot.iov[slot.iov_count++] = {slot.pi.data(), kPiLength};
    }
    if (vnet_header_) {
      slot.vnet = VnetHeader{};  // an ordinary packet
      slot.iov[slot.iov_count++] = {slot.vnet.data(), slot.vnet.size()};
    }
    slot.iov[slot.iov_count++] = {const_cast<std::uint8_t*>(packet.data()), packet.size()};
    uring_->queue_write(fd, slot.iov.data(), slot.iov_count, static_cast<std::uint32_t>(i));
  }
  uring_results_.assign(count, 0);
  if (!uring_->run([this](std::uint32_t tag, int result) { uring_results_[tag] = result; })) {
    results[0] = from_errno(errno);
    return 1;
  }
  const std::size_t overhead = (options_.packet_info ? kPiLength : 0) + (vnet_header_ ? kVnetHeaderLength : 0);
  for (std::size_t i = 0; i < count; ++i) {
    const int result = uring_results_[i];
    if (result < 0) {
      // The writes after a failed one were cancelled (linked): the caller tries them again.
      results[i] = from_errno(-result);
      return i + 1;
    }
    results[i] = {IoStatus::ok, static_cast<std::size_t>(result) - overhead};
  }
  return count;
}

}  // namespace tunlab::os
