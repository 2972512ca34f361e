// AF_PACKET capture sockets inside a namespace (see packet_capture.hpp).
#include "tunlab/real/packet_capture.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tunlab/wire/ethernet.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab::real {

namespace {

constexpr std::size_t kEthernetHeader = EthernetView::kHeader;
constexpr std::size_t kMaxFrame = 65535 + kEthernetHeader;

}  // namespace

PacketCapture::PacketCapture(const os::Netns& ns, const std::string& ifname, LinkType link_type)
    : link_type_(link_type), buffer_(kMaxFrame) {
  const std::string what = "capture on " + ns.label() + "-" + ifname;
  fd_ = os::run_in(ns, [&] {
    os::Fd fd = os::Fd::checked(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL)),
                                what + ": socket(AF_PACKET)");
    // if_nametoindex asks the calling thread's namespace, which is `ns` here.
    const unsigned index = ::if_nametoindex(ifname.c_str());
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(index);
    const int on = 1;
    // Enough room for a whole replayed pcap between two reads.
    const int buffer = 4 << 20;
    if (index == 0 || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0 ||
        ::setsockopt(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0 ||
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
      const int err = errno;
      os::throw_errno(what + ": bind to the interface", err);
    }
    return fd;
  });
}

PacketCapture::~PacketCapture() = default;

void PacketCapture::drain() {
  while (true) {
    sockaddr_ll from{};
    iovec iov{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == ENETDOWN) {
        continue;  // ENETDOWN: the interface went down (a scenario's down_at) once; it is reported, not fatal
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      }
      os::throw_errno("read a capture socket");
    }
    CapturedFrame frame;
    frame.outgoing = from.sll_pkttype == PACKET_OUTGOING;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        frame.realtime_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
      }
    }
    frame.bytes.assign(buffer_.begin(), buffer_.begin() + n);
    frames_.push_back(std::move(frame));
  }
}

ByteView PacketCapture::ipv4_of(const CapturedFrame& frame) const {
  const ByteView bytes(frame.bytes);
  if (link_type_ == LinkType::raw) {
    return ip_version(bytes) == 4 ? bytes : ByteView{};
  }
  const auto ethernet = EthernetView::parse(bytes);
  if (!ethernet || ethernet->payload().empty() || ethernet->ethertype() != ethertype::kIpv4) {
    return {};
  }
  return ethernet->payload();
}

}  // namespace tunlab::real
