// socket(AF_INET, SOCK_RAW, IPPROTO_IPIP) with IP_HDRINCL and IP_RECVERR as an Underlay.
#include "tunlab/os/raw_ipip_underlay.hpp"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "tunlab/os/tun_device.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"
#include "tunlab/wire/icmp.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::os {

namespace {

constexpr std::size_t kMaxIpPacket = 65535;

void set_int_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    throw_errno(std::string("setsockopt ") + what + " on the raw IPIP socket");
  }
}

sockaddr_in to_sockaddr(Ipv4Address address, std::uint16_t port = 0) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = static_cast<std::uint32_t>(address);
  return sin;
}

}  // namespace

bool kernel_ipip_loaded() {
  struct stat st {};
  return ::stat("/sys/module/ipip", &st) == 0;
}

RawIpipUnderlay::RawIpipUnderlay(const RawIpipOptions& options) : options_(options) {
  fd_ = Fd::checked(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPIP),
                    "socket(AF_INET, SOCK_RAW, IPPROTO_IPIP) (needs CAP_NET_RAW)");
  // We write the whole outer header ourselves: the kernel then fills in only the checksum and
  // total length (and an ID or source only where we leave them 0), so TTL/TOS/DF/ID are exactly
  // the encapsulator's.
  set_int_option(fd_.get(), IPPROTO_IP, IP_HDRINCL, 1, "IP_HDRINCL");
  set_int_option(fd_.get(), IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
  // The default receive buffer (~200 KiB) overflows under a TCP stream through the tunnel
  // (/proc/net/raw counted 12% drops with iperf3), and the kernel then also answers with ICMP
  // 3/2. 4 MiB absorbs a burst between two polls; without CAP_NET_ADMIN we keep the default.
  const int receive_buffer = 4 << 20;
  (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer);
  if (options_.filter == PeerFilter::kernel) {
    const sockaddr_in local = to_sockaddr(options_.local);
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      throw_errno("bind the raw IPIP socket to " + options_.local.to_string());
    }
    const sockaddr_in remote = to_sockaddr(options_.remote);
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
      throw_errno("connect the raw IPIP socket to " + options_.remote.to_string());
    }
  }
  if (options_.kernel_fragments) {
    fragmenting_fd_ = Fd::checked(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPIP),
                                  "socket(AF_INET, SOCK_RAW, IPPROTO_IPIP) for kernel fragmenting");
    // DF clear, and datagrams above the route MTU are fragmented by the kernel, not refused.
    set_int_option(fragmenting_fd_.get(), IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, "IP_MTU_DISCOVER");
    // Every raw IPIP socket gets its own copy of every IPIP packet the namespace receives. This
    // one only sends: a filter that accepts nothing keeps the copies off its queue.
    sock_filter accept_nothing = BPF_STMT(BPF_RET | BPF_K, 0);
    const sock_fprog program{1, &accept_nothing};
    if (::setsockopt(fragmenting_fd_.get(), SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) {
      throw_errno("setsockopt SO_ATTACH_FILTER on the kernel-fragmenting raw IPIP socket");
    }
    // Without IP_HDRINCL the kernel sends only from its own addresses: where `local` is not one,
    // every datagram is fragmented here instead.
    const sockaddr_in local = to_sockaddr(options_.local);
    if (::bind(fragmenting_fd_.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      fragmenting_fd_ = Fd();
    }
  }
  mtu_probe_fd_ =
      Fd::checked(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket(AF_INET, SOCK_DGRAM) for IP_MTU");
  scratch_.resize(kMaxIpPacket);
  slots_.resize(kBatch * kMaxIpPacket);
  slot_lengths_.resize(kBatch);
}

RawIpipUnderlay::~RawIpipUnderlay() = default;

std::optional<std::uint32_t> RawIpipUnderlay::path_mtu() {
  // A UDP connect() does a fresh route lookup (path-MTU exceptions included); IP_MTU then reads
  // the MTU of the cached route. Reconnecting each time avoids reading a stale cached route.
  const sockaddr_in remote = to_sockaddr(options_.remote, 9);
  if (::connect(mtu_probe_fd_.get(), reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
    return std::nullopt;
  }
  int mtu = 0;
  socklen_t len = sizeof mtu;
  if (::getsockopt(mtu_probe_fd_.get(), IPPROTO_IP, IP_MTU, &mtu, &len) != 0 || mtu <= 0) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(mtu);
}

bool RawIpipUnderlay::prepend_outer(const OuterHeader& outer, Packet& inner) {
  const std::size_t total = inner.size() + kOuterHeaderLength;
  if (total > kMaxIpPacket) {
    return false;
  }
  std::uint8_t* header = inner.push_front(kOuterHeaderLength);
  Ipv4HeaderFields fields;
  fields.src = outer.src;
  fields.dst = outer.dst;
  fields.protocol = ipproto::kIpip;
  fields.tos = outer.tos;
  fields.ttl = outer.ttl;
  fields.id = outer.id;
  fields.df = outer.df;
  write_ipv4_header(MutableByteView(header, kOuterHeaderLength), fields, static_cast<std::uint16_t>(total));
  return true;
}

IoResult RawIpipUnderlay::send_result(int err) {
  IoResult result{tun_errno_status(err), 0, 0, err};
  if (err == EMSGSIZE) {
    result.mtu = path_mtu().value_or(0);
  } else if (err == EINVAL) {
    result.status = IoStatus::error;  // not a TUN version check: a malformed send
  }
  return result;
}

bool RawIpipUnderlay::needs_fragments(const OuterHeader& outer, const Packet& inner) {
  return outer.fragment_size != 0 && !outer.df && inner.size() + kOuterHeaderLength > outer.fragment_size;
}

bool RawIpipUnderlay::kernel_fragments_at(std::uint16_t fragment_size) {
  if (!fragmenting_fd_) {
    return false;
  }
  if (fragment_size != checked_fragment_size_) {
    checked_fragment_size_ = fragment_size;
    kernel_fragment_size_matches_ = path_mtu() == std::optional<std::uint32_t>(fragment_size);
  }
  return kernel_fragment_size_matches_;
}

IoResult RawIpipUnderlay::send_kernel_fragmented(const OuterHeader& outer, const Packet& inner) {
  const sockaddr_in to = to_sockaddr(outer.dst);
  iovec iov{const_cast<std::uint8_t*>(inner.data()), inner.size()};
  alignas(cmsghdr) std::array<std::uint8_t, 2 * CMSG_SPACE(sizeof(int))> control{};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_in*>(&to);
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  const int tos = outer.tos;
  const int ttl = outer.ttl;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  for (const auto& [type, value] : {std::pair{IP_TOS, &tos}, std::pair{IP_TTL, &ttl}}) {
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), value, sizeof(int));
    c = CMSG_NXTHDR(&msg, c);
  }
  ssize_t n = ::sendmsg(fragmenting_fd_.get(), &msg, 0);
  if (n < 0 && errno != EAGAIN) {
    n = ::sendmsg(fragmenting_fd_.get(), &msg, 0);  // a stale error, see send()
  }
  if (n < 0) {
    return send_result(errno);
  }
  ++kernel_fragmented_;
  return {IoStatus::ok, static_cast<std::size_t>(n) + kOuterHeaderLength};
}

IoResult RawIpipUnderlay::send_fragments(const OuterHeader& outer, Packet&& inner) {
  // The kernel sends from the address the socket is bound to, and never a TTL of 0 (--ttl
  // inherit may give one): other datagrams are fragmented here.
  if (outer.src == options_.local && outer.ttl != 0 && kernel_fragments_at(outer.fragment_size)) {
    return send_kernel_fragmented(outer, inner);
  }
  // What the kernel does for a datagram above the MTU without IP_HDRINCL (ip_fragment), done
  // here so the outer ID, TTL and TOS stay the encapsulator's.
  if (!prepend_outer(outer, inner)) {
    return {IoStatus::invalid_packet, 0, 0, EMSGSIZE};
  }
  fragments_.clear();
  fragment_ipv4(inner, outer.fragment_size, fragments_);
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> iovs{};
  const sockaddr_in to = to_sockaddr(outer.dst);
  std::size_t sent = 0;
  while (sent < fragments_.size()) {
    const std::size_t count = std::min(kBatch, fragments_.size() - sent);
    for (std::size_t i = 0; i < count; ++i) {
      Packet& fragment = fragments_[sent + i];
      iovs[i] = {fragment.data(), fragment.size()};
      messages[i] = mmsghdr{};
      messages[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
      messages[i].msg_hdr.msg_namelen = sizeof to;
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::sendmmsg(fd_.get(), messages.data(), static_cast<unsigned>(count), 0);
    if (n <= 0 && errno != EAGAIN) {
      n = ::sendmmsg(fd_.get(), messages.data(), static_cast<unsigned>(count), 0);  // a stale error, see send()
    }
    if (n <= 0) {
      return send_result(errno);  // the peer cannot reassemble it now: the whole datagram is lost
    }
    sent += static_cast<std::size_t>(n);
  }
  return {IoStatus::ok, inner.size()};
}

IoResult RawIpipUnderlay::send(const OuterHeader& outer, Packet&& inner) {
  if (needs_fragments(outer, inner)) {
    return send_fragments(outer, std::move(inner));
  }
  if (!prepend_outer(outer, inner)) {
    return {IoStatus::invalid_packet, 0, 0, EMSGSIZE};
  }
  const sockaddr_in to = to_sockaddr(outer.dst);
  ssize_t n = ::sendto(fd_.get(), inner.data(), inner.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (n < 0 && errno != EAGAIN) {
    // With IP_RECVERR every queued ICMP error also sets the socket's pending error, and the next
    // sendto() fails with it (sock_alloc_send_skb checks sk_err) without sending anything. That
    // consumed the stale error, so one retry tells a real failure from an old one; the details
    // of the old one stay on the error queue for receive().
    n = ::sendto(fd_.get(), inner.data(), inner.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }
  if (n < 0) {
    return send_result(errno);
  }
  return {IoStatus::ok, static_cast<std::size_t>(n)};
}

void RawIpipUnderlay::send_batch(std::span<OuterSend> batch) {
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_in, kBatch> targets{};
  std::size_t done = 0;
  while (done < batch.size()) {
    // Gather up to kBatch sendable entries from `done` on; an unsendable one ends the gather.
    std::size_t count = 0;
    while (done + count < batch.size() && count < kBatch) {
      OuterSend& entry = batch[done + count];
      if (needs_fragments(entry.outer, entry.inner)) {
        break;  // sent on its own below
      }
      if (!prepend_outer(entry.outer, entry.inner)) {
        break;
      }
      targets[count] = to_sockaddr(entry.outer.dst);
      iovs[count] = {entry.inner.data(), entry.inner.size()};
      messages[count] = mmsghdr{};
      messages[count].msg_hdr.msg_name = &targets[count];
      messages[count].msg_hdr.msg_namelen = sizeof targets[count];
      messages[count].msg_hdr.msg_iov = &iovs[count];
      messages[count].msg_hdr.msg_iovlen = 1;
      ++count;
    }
    if (count == 0) {
      OuterSend& entry = batch[done++];
      entry.result = needs_fragments(entry.outer, entry.inner) ? send_fragments(entry.outer, std::move(entry.inner))
                                                               : IoResult{IoStatus::invalid_packet, 0, 0, EMSGSIZE};
      continue;
    }
    const int sent = ::sendmmsg(fd_.get(), messages.data(), static_cast<unsigned>(count), 0);
    if (sent > 0) {
      for (int i = 0; i < sent; ++i) {
        batch[done + static_cast<std::size_t>(i)].result = {IoStatus::ok,
                                                            messages[static_cast<std::size_t>(i)].msg_len};
      }
      done += static_cast<std::size_t>(sent);
      // The rest of this gather already carries its outer header: send those on their own
      // round, without prepending again.
      for (std::size_t i = static_cast<std::size_t>(sent); i < count; ++i) {
        batch[done + i - static_cast<std::size_t>(sent)].inner.pull_front(kOuterHeaderLength);
      }
      continue;
    }
    // The first message failed: a stale pending error (see send()) or a real one. send() retries
    // once the same way; its outer header is already in place, so take it off first.
    OuterSend& first = batch[done];
    first.inner.pull_front(kOuterHeaderLength);
    for (std::size_t i = 1; i < count; ++i) {
      batch[done + i].inner.pull_front(kOuterHeaderLength);
    }
    first.result = send(first.outer, std::move(first.inner));
    ++done;
  }
}

UnderlayEvent RawIpipUnderlay::receive_error(Packet& out, UnderlayError& error, bool& retry) {
  retry = false;
  sockaddr_in original_dst{};
  alignas(cmsghdr) std::uint8_t control[512];
  iovec iov{scratch_.data(), scratch_.size()};
  msghdr msg{};
  msg.msg_name = &original_dst;
  msg.msg_namelen = sizeof original_dst;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
  if (n < 0) {
    return UnderlayEvent::nothing;
  }
  const sock_extended_err* ee = nullptr;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) {
      ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
    }
  }
  if (ee == nullptr || ee->ee_origin != SO_EE_ORIGIN_ICMP) {
    // SO_EE_ORIGIN_LOCAL: the kernel's note about our own failed send (EMSGSIZE), which send()
    // already returned to the engine. Not an ICMP message from the network.
    ++local_errors_skipped_;
    retry = true;
    return UnderlayEvent::nothing;
  }
  sockaddr_in offender{};
  std::memcpy(&offender, SO_EE_OFFENDER(ee), sizeof offender);
  error.reporter = Ipv4Address(offender.sin_addr.s_addr);
  error.type = ee->ee_type;
  error.code = ee->ee_code;
  error.mtu = ee->ee_type == icmp::kDestUnreachable && ee->ee_code == icmp::kFragNeeded
                  ? static_cast<std::uint16_t>(ee->ee_info)
                  : 0;
  const std::size_t quoted = static_cast<std::size_t>(n);
  // With IP_HDRINCL, raw_err() queues the ICMP quote from the offending packet's IP header on,
  // so the bytes already start with the outer header we sent (verified by real_tunnel_test).
  // Without it the kernel would hand us only what followed that header; rebuild a header from
  // what we know then, with TTL/ID unknown (0), so the engine sees the same shape either way.
  const auto view = Ipv4View::parse(ByteView(scratch_.data(), quoted));
  if (view && view->protocol() == ipproto::kIpip) {
    out.assign(ByteView(scratch_.data(), quoted));
  } else {
    Ipv4HeaderFields fields;
    fields.src = options_.local;
    fields.dst = Ipv4Address(original_dst.sin_addr.s_addr);
    fields.protocol = ipproto::kIpip;
    fields.ttl = 0;
    out.assign(ByteView(scratch_.data(), quoted));
    std::uint8_t* header = out.push_front(kOuterHeaderLength);
    write_ipv4_header(MutableByteView(header, kOuterHeaderLength), fields,
                      static_cast<std::uint16_t>(std::min(kMaxIpPacket, quoted + kOuterHeaderLength)));
  }
  out.origin = 0;
  return UnderlayEvent::error;
}

bool RawIpipUnderlay::refill() {
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> iovs{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    iovs[i] = {slots_.data() + i * kMaxIpPacket, kMaxIpPacket};
    messages[i].msg_hdr.msg_iov = &iovs[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  const int n = ::recvmmsg(fd_.get(), messages.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) {
    if (n == 0) {
      errno = EAGAIN;
    }
    return false;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    slot_lengths_[i] = messages[i].msg_len;
  }
  next_slot_ = 0;
  filled_slots_ = static_cast<std::size_t>(n);
  return true;
}

UnderlayEvent RawIpipUnderlay::receive(Packet& out, UnderlayError& error) {
  // Bounded: each turn consumes one queued item or stops.
  for (int turn = 0; turn < 64; ++turn) {
    if (next_slot_ == filled_slots_) {
      bool retry = false;
      if (receive_error(out, error, retry) == UnderlayEvent::error) {
        return UnderlayEvent::error;
      }
      if (retry) {
        continue;
      }
      if (!refill()) {
        if (errno == EAGAIN || errno == EINTR) {
          return UnderlayEvent::nothing;
        }
        // With IP_RECVERR a queued ICMP error also sets the socket's pending error, which the
        // next recv reports once (EMSGSIZE, EHOSTUNREACH, ...): the details are on the error
        // queue.
        continue;
      }
    }
    const std::size_t slot = next_slot_++;
    const ByteView bytes(slots_.data() + slot * kMaxIpPacket, slot_lengths_[slot]);
    if (options_.filter == PeerFilter::userspace) {
      const auto view = Ipv4View::parse(bytes);
      if (!view || view->src() != options_.remote || view->dst() != options_.local) {
        ++foreign_dropped_;
        continue;
      }
    }
    out.assign(bytes);
    out.origin = 0;
    out.offload = OffloadInfo{};
    return UnderlayEvent::packet;
  }
  return UnderlayEvent::nothing;
}

}  // namespace tunlab::os
