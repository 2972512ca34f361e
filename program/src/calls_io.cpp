// Packets in and out: the program's TUN reads and writes become Device reads and writes, its raw
// socket's sends become Underlay sends with the outer header it chose, and what it receives is
// the whole outer packet. Each packet keeps the origin the simulator accounts it by: a packet the
// program read is held until the program passes the same bytes on.
#include <time.h>  // before linux/errqueue.h, which uses struct timespec

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "supervisor.hpp"
#include "tunlab/wire/udp.hpp"

namespace tunlab::program {

namespace {

// Held packets per direction; past this the oldest counts as absorbed by the program.
constexpr std::size_t kMaxHeld = 4096;
// The raw socket's receive queue, in packets (a kernel socket's buffer is bounded too).
constexpr std::size_t kMaxReceived = 4096;

int errno_of(const IoResult& result) {
  switch (result.status) {
    case IoStatus::ok:
      return 0;
    case IoStatus::would_block:
      return EAGAIN;
    case IoStatus::truncated:
      return 0;
    case IoStatus::device_down:
      return EIO;
    case IoStatus::invalid_packet:
      return EINVAL;
    case IoStatus::message_too_big:
      return EMSGSIZE;
    case IoStatus::route_loop:
      return ELOOP;
    case IoStatus::no_route:
      return ENETUNREACH;
    case IoStatus::error:
      break;
  }
  return result.sys_errno != 0 ? result.sys_errno : EIO;
}

// The IPv4 identity of a packet (source, destination, protocol, id): how a packet the program
// rewrote (a decremented TTL, a new checksum) is still recognised.
bool same_identity(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a.size() < 20 || b.size() < 20 || (a[0] >> 4) != 4 || (b[0] >> 4) != 4) {
    return false;
  }
  return std::equal(a.begin() + 4, a.begin() + 6, b.begin() + 4) && a[9] == b[9] &&
         std::equal(a.begin() + 12, a.begin() + 20, b.begin() + 12);
}

}  // namespace

void Supervisor::hold(std::deque<HeldPacket>& held, std::uint32_t origin, std::vector<std::uint8_t> bytes) {
  if (origin == 0) {
    return;  // the network's own packets are not accounted
  }
  if (held.size() >= kMaxHeld) {
    Packet lost(ByteView(held.front().inner.data(), held.front().inner.size()));
    lost.origin = held.front().origin;
    env_.drops.dropped(lost, "absorbed-by-program");
    held.pop_front();
  }
  held.push_back({origin, std::move(bytes)});
}

std::uint32_t Supervisor::take_origin(std::deque<HeldPacket>& held, const std::vector<std::uint8_t>& bytes) {
  auto it = std::find_if(held.begin(), held.end(), [&](const HeldPacket& h) { return h.inner == bytes; });
  if (it == held.end()) {
    it = std::find_if(held.begin(), held.end(), [&](const HeldPacket& h) { return same_identity(h.inner, bytes); });
  }
  if (it == held.end()) {
    return 0;
  }
  const std::uint32_t origin = it->origin;
  held.erase(it);
  return origin;
}

void Supervisor::report_held() {
  reconcile();  // the program may have taken staged packets since its last trapped call
  for (Packet& packet : unread_tun_) {
    if (packet.origin != 0) {
      env_.drops.dropped(packet, "absorbed-by-program");  // taken from the device for it, never read
    }
  }
  unread_tun_.clear();
  drain_underlay();
  for (Packet& packet : received_) {
    if (packet.origin != 0) {
      env_.drops.dropped(packet, "absorbed-by-program");
    }
  }
  received_.clear();
  for (auto& [port, queue] : udp_received_) {
    for (Packet& packet : queue) {
      if (packet.origin != 0) {
        env_.drops.dropped(packet, "absorbed-by-program");
      }
    }
    queue.clear();
  }
  for (std::deque<HeldPacket>* held : {&from_device_, &from_underlay_}) {
    for (const HeldPacket& h : *held) {
      Packet packet(ByteView(h.inner.data(), h.inner.size()));
      packet.origin = h.origin;
      env_.drops.dropped(packet, "absorbed-by-program");
    }
    held->clear();
  }
}

void Supervisor::drain_underlay() {
  Packet packet;
  UnderlayError error;
  for (;;) {
    const UnderlayEvent event = env_.underlay.receive(packet, error);
    if (event == UnderlayEvent::nothing) {
      return;
    }
    if (event == UnderlayEvent::error) {
      queue_error(error, packet);
      continue;
    }
    const auto ip = Ipv4View::parse(packet.bytes());
    if (ip && ip->protocol() == ipproto::kUdp) {
      const auto udp = UdpView::parse(ip->payload());
      const auto socket = udp ? udp_received_.find(udp->dst_port()) : udp_received_.end();
      if (socket == udp_received_.end()) {
        // The host hands over only ports the program bound, so this is not expected; if it
        // happens the packet still ends with a reason.
        env_.drops.dropped(packet, "program-port-unbound");
        continue;
      }
      if (socket->second.size() >= kMaxReceived) {
        env_.drops.dropped(packet, "program-socket-full");
        continue;
      }
      socket->second.push_back(std::move(packet));
      continue;
    }
    if (received_.size() + staged_[staging::kRawSocket - 1].size() >= kMaxReceived) {
      env_.drops.dropped(packet, "program-socket-full");
      continue;
    }
    received_.push_back(std::move(packet));
  }
}

std::uint32_t Supervisor::readiness(int fd) {
  const auto it = files_.find(fd);
  if (it == files_.end()) {
    return 0;  // native descriptors never report ready in a simulated wait (docs)
  }
  switch (it->second.kind) {
    case FileKind::tun:
      return (it->second.attached && device_readable() ? EPOLLIN : 0U) | EPOLLOUT;
    case FileKind::raw_ipip:
      drain_underlay();
      return (received_.empty() ? 0U : EPOLLIN) | EPOLLOUT | (it->second.errors.empty() ? 0U : EPOLLERR);
    case FileKind::udp: {
      drain_underlay();
      const auto queue = udp_received_.find(it->second.port);
      return (queue != udp_received_.end() && !queue->second.empty() ? EPOLLIN : 0U) | EPOLLOUT |
             (it->second.errors.empty() ? 0U : EPOLLERR);
    }
    case FileKind::urandom:
      return EPOLLIN | EPOLLOUT;
    case FileKind::timer:
      return expirations(it->second) > 0 ? EPOLLIN : 0U;
    case FileKind::epoll:
      return 0;
  }
  return 0;
}

Outcome Supervisor::on_read(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers, int flags,
                            std::uint64_t address_out, std::uint64_t address_length_out, std::uint64_t msghdr_out) {
  std::size_t capacity = 0;
  for (const iovec& b : buffers) {
    capacity += b.iov_len;
  }
  const bool nonblocking = file.nonblocking || (flags & MSG_DONTWAIT) != 0;
  if (file.kind == FileKind::timer) {
    return on_timer_read(call, file, buffers);
  }
  if (file.kind == FileKind::urandom) {
    std::vector<std::uint8_t> bytes(std::min<std::size_t>(capacity, 1 << 20));
    random_.fill(bytes.data(), bytes.size());
    if (!scatter(buffers, bytes.data(), bytes.size())) {
      fail(call, EFAULT);
      return {};
    }
    reply(call, static_cast<std::int64_t>(bytes.size()));
    return {};
  }
  if (file.kind == FileKind::tun) {
    if (!file.attached) {
      fail(call, EBADFD);  // as the kernel answers a read before TUNSETIFF
      return {};
    }
    Packet packet;
    const IoResult result = read_device(packet);
    if (result.status == IoStatus::would_block) {
      if (nonblocking) {
        fail(call, EAGAIN);
        return {};
      }
      return {.blocked = true, .timeout_ns = std::nullopt};
    }
    if (!result.ok() && result.status != IoStatus::truncated) {
      fail(call, errno_of(result));
      return {};
    }
    ++device_reads_;
    // TUN semantics: a short buffer keeps the start of the packet, the rest is gone.
    const std::vector<std::uint8_t> bytes = as_read(packet);
    const std::size_t size = std::min(capacity, bytes.size());
    if (!scatter(buffers, bytes.data(), size)) {
      env_.drops.dropped(packet, "absorbed-by-program");
      fail(call, EFAULT);
      return {};
    }
    const std::size_t kept = size > vnet_header_ ? size - vnet_header_ : 0;
    hold(from_device_, packet.origin, std::vector<std::uint8_t>(packet.data(), packet.data() + kept));
    reply(call, static_cast<std::int64_t>(size));
    return {};
  }
  if (file.kind == FileKind::udp) {
    return on_udp_read(call, file, buffers, flags, address_out, address_length_out, msghdr_out);
  }
  if (file.kind != FileKind::raw_ipip) {
    fail(call, EINVAL);
    return {};
  }
  drain_underlay();
  if (received_.empty()) {
    if (nonblocking) {
      fail(call, EAGAIN);
      return {};
    }
    return {.blocked = true, .timeout_ns = std::nullopt};
  }
  Packet& packet = received_.front();
  const std::size_t size = std::min(capacity, packet.size());
  if (!scatter(buffers, packet.data(), size)) {
    fail(call, EFAULT);
    return {};
  }
  sockaddr_in source{};
  source.sin_family = AF_INET;
  if (packet.size() >= 20) {
    std::memcpy(&source.sin_addr.s_addr, packet.data() + 12, 4);
  }
  tell_source(call, source, size < packet.size(), address_out, address_length_out, msghdr_out);
  ++underlay_receives_;
  if ((flags & MSG_PEEK) == 0) {
    const std::size_t header = packet.size() >= 20 ? (packet[0] & 0x0fU) * 4U : packet.size();
    if (packet.size() > header) {
      hold(from_underlay_, packet.origin,
           std::vector<std::uint8_t>(packet.data() + header, packet.data() + packet.size()));
    }
    received_.pop_front();
  }
  reply(call, static_cast<std::int64_t>((flags & MSG_TRUNC) != 0 ? packet.size() : size));
  return {};
}

void Supervisor::tell_source(const seccomp_notif& call, const sockaddr_in& source, bool truncated,
                             std::uint64_t address_out, std::uint64_t address_length_out, std::uint64_t msghdr_out) {
  if (address_out != 0) {
    (void)memory_.put(address_out, source);
    (void)memory_.put(address_length_out, static_cast<socklen_t>(sizeof(source)));
  }
  if (msghdr_out != 0) {
    auto msg = memory_.get<msghdr>(msghdr_out);
    check_valid(call);
    if (msg) {
      if (msg->msg_name != nullptr && msg->msg_namelen >= sizeof(source)) {
        (void)memory_.put(reinterpret_cast<std::uint64_t>(msg->msg_name), source);
        msg->msg_namelen = sizeof(source);
      }
      msg->msg_controllen = 0;  // no control messages are simulated (docs)
      msg->msg_flags = truncated ? MSG_TRUNC : 0;
      (void)memory_.put(msghdr_out, *msg);
    }
  }
}

Outcome Supervisor::on_udp_read(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers, int flags,
                                std::uint64_t address_out, std::uint64_t address_length_out, std::uint64_t msghdr_out) {
  drain_underlay();
  const auto queue = udp_received_.find(file.port);
  if (queue == udp_received_.end() || queue->second.empty()) {
    if (file.nonblocking || (flags & MSG_DONTWAIT) != 0) {
      fail(call, EAGAIN);
      return {};
    }
    return {.blocked = true, .timeout_ns = std::nullopt};
  }
  const Packet& packet = queue->second.front();
  // The host delivered it to this port, so it parses; the payload is what the UDP length says.
  const Ipv4View ip = *Ipv4View::parse(packet.bytes());
  const UdpView udp = *UdpView::parse(ip.payload());
  const ByteView payload = udp.payload();
  std::size_t capacity = 0;
  for (const iovec& b : buffers) {
    capacity += b.iov_len;
  }
  const std::size_t size = std::min(capacity, payload.size());
  if (!scatter(buffers, payload.data(), size)) {
    fail(call, EFAULT);
    return {};
  }
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(ip.src_raw());
  source.sin_port = htons(udp.src_port());
  tell_source(call, source, size < payload.size(), address_out, address_length_out, msghdr_out);
  const std::int64_t answer = static_cast<std::int64_t>((flags & MSG_TRUNC) != 0 ? payload.size() : size);
  if ((flags & MSG_PEEK) == 0) {
    ++underlay_receives_;
    hold(from_underlay_, packet.origin, std::vector<std::uint8_t>(payload.data(), payload.data() + payload.size()));
    queue->second.pop_front();
  }
  reply(call, answer);
  return {};
}

Outcome Supervisor::on_udp_write(const seccomp_notif& call, SimFile& file, const std::vector<std::uint8_t>& bytes,
                                 std::optional<Ipv4Address> destination, std::uint16_t destination_port) {
  int error = 0;
  if (file.port == 0 && !bind_udp(file, 0, error)) {
    fail(call, error);
    return {};
  }
  const std::optional<Ipv4Address> to = destination ? destination : file.connected;
  const std::uint16_t to_port = destination ? destination_port : file.peer_port;
  if (!to) {
    fail(call, EDESTADDRREQ);
    return {};
  }
  OuterHeader outer;
  outer.src = env_.config.local;
  outer.dst = *to;
  outer.ttl = static_cast<std::uint8_t>(file.ttl);
  outer.tos = static_cast<std::uint8_t>(file.tos);
  outer.df = file.df;
  // As Linux's ip_select_ident: a connected socket counts, an unconnected DF datagram gets 0.
  outer.id = outer.df && !file.connected ? 0 : file.next_id++;
  Packet packet(ByteView(bytes.data(), bytes.size()));
  packet.origin = take_origin(from_device_, bytes);
  const IoResult result = env_.underlay.send_udp(outer, file.port, to_port, std::move(packet));
  ++underlay_sends_;
  if (!result.ok()) {
    fail(call, errno_of(result));
    return {};
  }
  reply(call, static_cast<std::int64_t>(bytes.size()));
  return {};
}

Outcome Supervisor::on_write(const seccomp_notif& call, SimFile& file, const std::vector<std::uint8_t>& bytes,
                             std::optional<Ipv4Address> destination, std::uint16_t destination_port) {
  if (file.kind == FileKind::udp) {
    return on_udp_write(call, file, bytes, destination, destination_port);
  }
  if (file.kind == FileKind::urandom) {
    reply(call, static_cast<std::int64_t>(bytes.size()));  // adding entropy: accepted, changes nothing
    return {};
  }
  if (file.kind == FileKind::tun) {
    if (!file.attached) {
      fail(call, EBADFD);
      return {};
    }
    OffloadInfo offload;
    std::vector<std::uint8_t> plain;
    if (vnet_header_ != 0) {
      const auto stripped = from_vnet(call, bytes, offload);
      if (!stripped) {
        fail(call, EINVAL);
        return {};
      }
      plain = *stripped;
    }
    const std::vector<std::uint8_t>& ip = vnet_header_ != 0 ? plain : bytes;
    Packet packet(ByteView(ip.data(), ip.size()));
    packet.offload = offload;
    packet.origin = take_origin(from_underlay_, ip);
    const IoResult result = env_.device.write_packet(std::move(packet));
    ++device_writes_;
    if (!result.ok()) {
      fail(call, errno_of(result));
      return {};
    }
    reply(call, static_cast<std::int64_t>(bytes.size()));
    return {};
  }
  if (file.kind != FileKind::raw_ipip) {
    fail(call, EINVAL);
    return {};
  }
  OuterHeader outer;
  std::size_t header = 0;
  if (file.hdrincl) {
    // The program's own header. Linux fills in the total length and checksum (and the source
    // when 0) for IP_HDRINCL; every other field goes on the wire as the program wrote it, and
    // fields the simulated underlay cannot carry are refused rather than rewritten.
    if (bytes.size() < 20 || (bytes[0] >> 4) != 4) {
      fail(call, EINVAL);
      return {};
    }
    header = (bytes[0] & 0x0fU) * 4U;
    const unsigned fragment = (bytes[6] << 8U) | bytes[7];
    if (header != 20) {
      refuse(call, fmt::format("sendto of an IPv4 header of {} bytes", header),
             "IP options in the outer header are not simulated");
    }
    if ((fragment & 0xbfffU) != 0) {
      refuse(call, fmt::format("sendto of an outer header with flags/offset {:#06x}", fragment),
             "outer fragments built by the program are not simulated");
    }
    if (bytes[9] != 4) {
      refuse(call, fmt::format("sendto of an outer header with protocol {}", bytes[9]),
             "only IPIP (protocol 4) is carried by the simulated raw socket");
    }
    std::uint32_t src = 0;
    std::uint32_t dst = 0;
    std::memcpy(&src, bytes.data() + 12, 4);
    std::memcpy(&dst, bytes.data() + 16, 4);
    outer.src = src == 0 ? env_.config.local : Ipv4Address(src);
    outer.dst = Ipv4Address(dst);
    outer.tos = bytes[1];
    outer.id = static_cast<std::uint16_t>((bytes[4] << 8U) | bytes[5]);
    outer.df = (fragment & 0x4000U) != 0;
    outer.ttl = bytes[8];
  } else {
    const std::optional<Ipv4Address> to = destination ? destination : file.connected;
    if (!to) {
      fail(call, EDESTADDRREQ);
      return {};
    }
    outer.src = env_.config.local;
    outer.dst = *to;
    outer.ttl = static_cast<std::uint8_t>(file.ttl);
    outer.tos = static_cast<std::uint8_t>(file.tos);
    outer.df = file.df;
    // Linux gives an unconnected socket's DF datagrams id 0, and counts for the others.
    outer.id = outer.df ? 0 : file.next_id++;
  }
  std::vector<std::uint8_t> inner(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  Packet packet(ByteView(inner.data(), inner.size()));
  packet.origin = take_origin(from_device_, inner);
  const IoResult result = env_.underlay.send(outer, std::move(packet));
  ++underlay_sends_;
  if (!result.ok()) {
    fail(call, errno_of(result));
    return {};
  }
  reply(call, static_cast<std::int64_t>(bytes.size()));
  return {};
}

}  // namespace tunlab::program

namespace tunlab::program {

namespace {

constexpr std::size_t kMaxQueuedErrors = 64;
constexpr std::uint8_t kVirtioNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr std::uint8_t kVirtioDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID
constexpr std::uint8_t kVirtioGsoTcpv4 = 1;   // VIRTIO_NET_HDR_GSO_TCPV4

void put_le16(std::uint8_t* at, std::uint16_t value) {
  at[0] = static_cast<std::uint8_t>(value);
  at[1] = static_cast<std::uint8_t>(value >> 8);
}

std::uint16_t le16(const std::uint8_t* at) {
  return static_cast<std::uint16_t>(at[0] | (at[1] << 8));
}

// The errno Linux's icmp_err_convert gives an ICMP error (what ee_errno says).
std::uint32_t errno_of_icmp(std::uint8_t type, std::uint8_t code) {
  if (type == 11) {
    return EHOSTUNREACH;  // time exceeded
  }
  if (type == 12) {
    return EPROTO;  // parameter problem
  }
  switch (code) {
    case 0:
      return ENETUNREACH;
    case 1:
      return EHOSTUNREACH;
    case 2:
      return ENOPROTOOPT;
    case 3:
      return ECONNREFUSED;
    case 4:
      return EMSGSIZE;
    case 5:
      return EOPNOTSUPP;
    default:
      return EHOSTUNREACH;
  }
}

}  // namespace

void Supervisor::queue_error(const UnderlayError& error, const Packet& quoted) {
  if (quoted.size() < 20 || (quoted[0] >> 4) != 4) {
    return;
  }
  const std::size_t header = (quoted[0] & 0x0fU) * 4U;
  const std::uint8_t protocol = quoted[9];
  for (auto& [number, file] : files_) {
    bool ours = false;
    if (file.kind == FileKind::raw_ipip) {
      ours = protocol == ipproto::kIpip;
    } else if (file.kind == FileKind::udp && protocol == ipproto::kUdp && quoted.size() >= header + 2) {
      ours = ((quoted[header] << 8) | quoted[header + 1]) == file.port;
    }
    if (ours && file.recverr && file.errors.size() < kMaxQueuedErrors) {
      file.errors.push_back({error, std::vector<std::uint8_t>(quoted.data(), quoted.data() + quoted.size())});
    }
  }
}

Outcome Supervisor::on_error_queue(const seccomp_notif& call, SimFile& file, const std::vector<iovec>& buffers,
                                   std::uint64_t msghdr_out) {
  drain_underlay();
  if (file.errors.empty()) {
    fail(call, EAGAIN);  // reading the error queue never blocks
    return {};
  }
  const QueuedError& queued = file.errors.front();
  const std::vector<std::uint8_t>& quoted = queued.quoted;
  const std::size_t header = (quoted[0] & 0x0fU) * 4U;
  // A raw socket gets the quoted packet from its IP header on, a UDP socket its quoted payload.
  const std::size_t from = file.kind == FileKind::udp ? std::min(quoted.size(), header + 8) : 0;
  const std::size_t length = quoted.size() - from;
  std::size_t capacity = 0;
  for (const iovec& b : buffers) {
    capacity += b.iov_len;
  }
  const std::size_t size = std::min(capacity, length);
  if (!scatter(buffers, quoted.data() + from, size)) {
    fail(call, EFAULT);
    return {};
  }
  auto msg = memory_.get<msghdr>(msghdr_out);
  check_valid(call);
  if (!msg) {
    fail(call, EFAULT);
    return {};
  }
  sockaddr_in destination{};
  destination.sin_family = AF_INET;
  std::memcpy(&destination.sin_addr.s_addr, quoted.data() + 16, 4);
  if (file.kind == FileKind::udp && quoted.size() >= header + 4) {
    std::memcpy(&destination.sin_port, quoted.data() + header + 2, 2);
  }
  if (msg->msg_name != nullptr && msg->msg_namelen >= sizeof(destination)) {
    (void)memory_.put(reinterpret_cast<std::uint64_t>(msg->msg_name), destination);
    msg->msg_namelen = sizeof(destination);
  }
  // The IP_RECVERR control message: sock_extended_err, then the reporter's address.
  struct {
    sock_extended_err error;
    sockaddr_in offender;
  } body{};
  body.error.ee_errno = errno_of_icmp(queued.error.type, queued.error.code);
  body.error.ee_origin = SO_EE_ORIGIN_ICMP;
  body.error.ee_type = queued.error.type;
  body.error.ee_code = queued.error.code;
  body.error.ee_info = queued.error.mtu;
  body.offender.sin_family = AF_INET;
  body.offender.sin_addr.s_addr = static_cast<std::uint32_t>(queued.error.reporter);
  std::vector<std::uint8_t> control(CMSG_SPACE(sizeof(body)), 0);
  auto* cmsg = reinterpret_cast<cmsghdr*>(control.data());
  cmsg->cmsg_level = SOL_IP;
  cmsg->cmsg_type = IP_RECVERR;
  cmsg->cmsg_len = CMSG_LEN(sizeof(body));
  std::memcpy(CMSG_DATA(cmsg), &body, sizeof(body));
  msg->msg_flags = MSG_ERRQUEUE | (size < length ? MSG_TRUNC : 0);
  if (msg->msg_control != nullptr && msg->msg_controllen >= control.size() &&
      memory_.write(reinterpret_cast<std::uint64_t>(msg->msg_control), control.data(), control.size())) {
    msg->msg_controllen = control.size();
  } else {
    msg->msg_controllen = 0;
    msg->msg_flags |= MSG_CTRUNC;
  }
  (void)memory_.put(msghdr_out, *msg);
  file.errors.pop_front();
  reply(call, static_cast<std::int64_t>(size));
  return {};
}

std::vector<std::uint8_t> Supervisor::as_read(const Packet& packet) const {
  std::vector<std::uint8_t> bytes(vnet_header_ + packet.size(), 0);
  if (vnet_header_ != 0) {
    // The virtio_net_hdr the kernel writes (native byte order, little-endian here): what the
    // packet's offload says, zeros for an ordinary packet.
    const OffloadInfo& offload = packet.offload;
    bytes[0] = static_cast<std::uint8_t>((offload.needs_checksum ? kVirtioNeedsCsum : 0) |
                                         (offload.checksum_valid ? kVirtioDataValid : 0));
    bytes[1] = offload.gso_type == GsoType::tcpv4 ? kVirtioGsoTcpv4 : 0;
    put_le16(&bytes[2], offload.header_length);
    put_le16(&bytes[4], offload.segment_size);
    put_le16(&bytes[6], offload.checksum_start);
    put_le16(&bytes[8], offload.checksum_offset);
  }
  std::copy(packet.data(), packet.data() + packet.size(), bytes.begin() + static_cast<std::ptrdiff_t>(vnet_header_));
  return bytes;
}

std::optional<std::vector<std::uint8_t>> Supervisor::from_vnet(const seccomp_notif& call,
                                                               const std::vector<std::uint8_t>& bytes,
                                                               OffloadInfo& offload) {
  if (bytes.size() < vnet_header_) {
    return std::nullopt;
  }
  const std::uint8_t flags = bytes[0];
  const std::uint8_t gso = bytes[1];
  if (gso != 0 && gso != kVirtioGsoTcpv4) {
    refuse(call, fmt::format("write of a virtio_net_hdr with gso_type {}", gso),
           "only TCPv4 super-packets (VIRTIO_NET_HDR_GSO_TCPV4) are simulated");
  }
  std::vector<std::uint8_t> ip(bytes.begin() + static_cast<std::ptrdiff_t>(vnet_header_), bytes.end());
  offload.gso_type = gso == kVirtioGsoTcpv4 ? GsoType::tcpv4 : GsoType::none;
  offload.needs_checksum = (flags & kVirtioNeedsCsum) != 0;
  offload.checksum_valid = (flags & kVirtioDataValid) != 0;
  offload.header_length = le16(&bytes[2]);
  offload.segment_size = le16(&bytes[4]);
  offload.checksum_start = le16(&bytes[6]);
  offload.checksum_offset = le16(&bytes[8]);
  if (offload.needs_checksum && !offload.is_super_packet()) {
    // An ordinary packet whose checksum the program left to the device: the kernel completes it.
    const std::size_t start = offload.checksum_start;
    const std::size_t field = start + offload.checksum_offset;
    if (field + 2 > ip.size()) {
      return std::nullopt;
    }
    const std::uint16_t sum = internet_checksum(ByteView(ip.data() + start, ip.size() - start));
    ip[field] = static_cast<std::uint8_t>(sum >> 8);
    ip[field + 1] = static_cast<std::uint8_t>(sum);
    offload = OffloadInfo{};
  }
  return ip;
}

}  // namespace tunlab::program
