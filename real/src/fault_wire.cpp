// The user-space wire of a faulted link (see fault_wire.hpp).
#include "tunlab/real/fault_wire.hpp"

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/wire/ethernet.hpp"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace tunlab::real {

namespace {

constexpr std::size_t kEthernetHeader = EthernetView::kHeader;

os::Fd open_end(const os::Netns& ns, const std::string& ifname) {
  const std::string what = "fault wire on " + ns.label() + "-" + ifname;
  return os::run_in(ns, [&] {
    os::Fd fd =
        os::Fd::checked(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)), what + ": socket(AF_PACKET)");
    const unsigned index = ::if_nametoindex(ifname.c_str());
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(index);
    const int on = 1;
    const int buffer = 8 << 20;
    if (index == 0 || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0 ||
        ::setsockopt(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof on) != 0 ||
        // Straight to the veth's transmit, as a cable would: no qdisc between the wire and it.
        ::setsockopt(fd.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &on, sizeof on) != 0 ||
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0 ||
        ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer) != 0) {
      const int err = errno;
      os::throw_errno(what + ": bind to the interface", err);
    }
    return fd;
  });
}

bool held_later(const auto& x, const auto& y) {
  return x.due_ns != y.due_ns ? x.due_ns > y.due_ns : x.sequence > y.sequence;
}

}  // namespace

void disable_tx_offloads(const os::Netns& ns, const std::string& ifname) {
  os::run_in(ns, [&] {
    os::Fd fd = os::Fd::checked(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "ethtool socket");
    ethtool_value value{};
    value.cmd = ETHTOOL_STXCSUM;
    value.data = 0;
    ifreq request{};
    std::strncpy(request.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    request.ifr_data = reinterpret_cast<char*>(&value);
    if (::ioctl(fd.get(), SIOCETHTOOL, &request) != 0) {
      const int err = errno;
      os::throw_errno("ethtool tx off on " + ns.label() + "-" + ifname, err);
    }
  });
}

FaultWire::FaultWire(const os::Netns& ns, const std::string& end_a, const std::string& end_b, LinkFaults a_to_b,
                     LinkFaults b_to_a, std::size_t mtu)
    : sock_a_(open_end(ns, end_a)),
      sock_b_(open_end(ns, end_b)),
      timer_fd_(os::Fd::checked(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create")),
      stop_fd_(os::Fd::checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      notify_fd_(os::Fd::checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      slot_(mtu + kEthernetHeader),
      buffer_(slot_ * kBatch) {
  directions_[0].faults = std::move(a_to_b);
  directions_[0].in = sock_a_.get();
  directions_[0].out = sock_b_.get();
  directions_[1].faults = std::move(b_to_a);
  directions_[1].in = sock_b_.get();
  directions_[1].out = sock_a_.get();
}

FaultWire::~FaultWire() {
  stop();
}

void FaultWire::start() {
  thread_ = std::thread([this] { loop(); });
}

void FaultWire::stop() {
  if (!thread_.joinable()) {
    return;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(stop_fd_.get(), &one, sizeof one);
  thread_.join();
  held_at_stop_ = held_.size();
  held_.clear();
  std::sort(delay_errors_ns_.begin(), delay_errors_ns_.end());
}

std::vector<WireDrop> FaultWire::take_drops() {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto n = ::read(notify_fd_.get(), &count, sizeof count);
  const std::lock_guard lock(mutex_);
  return std::exchange(drops_, {});
}

WireDirectionStats FaultWire::stats(int direction) const {
  return directions_[direction].stats;
}

std::vector<std::int64_t> FaultWire::delay_errors_ns() const {
  return delay_errors_ns_;
}

void FaultWire::loop() {
  pollfd fds[4] = {{sock_a_.get(), POLLIN, 0},
                   {sock_b_.get(), POLLIN, 0},
                   {timer_fd_.get(), POLLIN, 0},
                   {stop_fd_.get(), POLLIN, 0}};
  while (true) {
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[3].revents != 0) {
      return;
    }
    // Frames that fell due go first: they were held before anything read now arrived.
    if (fds[2].revents != 0) {
      std::uint64_t expirations = 0;
      [[maybe_unused]] const auto n = ::read(timer_fd_.get(), &expirations, sizeof expirations);
      release_due();
    }
    for (int d = 0; d < 2; ++d) {
      if (fds[d].revents != 0) {
        receive(d);
      }
    }
  }
}

// Up to a few batches of frames per wake-up (one recvmmsg and one sendmmsg each), so one busy
// direction cannot starve the other or the timer.
void FaultWire::receive(int direction) {
  for (int round = 0; round < 4; ++round) {
    std::array<mmsghdr, kBatch> messages{};
    std::array<iovec, kBatch> vectors{};
    std::array<sockaddr_ll, kBatch> from{};
    for (std::size_t i = 0; i < kBatch; ++i) {
      vectors[i] = {buffer_.data() + i * slot_, slot_};
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = &from[i];
      messages[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    const int n = ::recvmmsg(directions_[direction].in, messages.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      return;
    }
    for (int i = 0; i < n; ++i) {
      const auto index = static_cast<std::size_t>(i);
      if (from[index].sll_pkttype == PACKET_OUTGOING) {
        continue;  // what this wire wrote itself (kernels without PACKET_IGNORE_OUTGOING)
      }
      if ((messages[index].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++directions_[direction].stats.send_errors;  // longer than the MTU allows: cannot be carried whole
        continue;
      }
      carry(direction, buffer_.data() + index * slot_, messages[index].msg_len);
    }
    flush(direction);
    if (n < static_cast<int>(kBatch)) {
      return;
    }
  }
}

void FaultWire::carry(int direction, std::uint8_t* frame, std::size_t size) {
  Direction& d = directions_[direction];
  ++d.stats.frames;
  const auto ethernet = EthernetView::parse(ByteView(frame, size));
  if (!ethernet || ethernet->ethertype() != ethertype::kIpv4) {
    send(direction, frame, size);  // ARP and the like: no decision
    return;
  }
  ++d.stats.ip_packets;
  const std::size_t ip_size = size - kEthernetHeader;
  const LinkFaults::Decision decision = d.faults.decide(ip_size);
  if (decision.drop) {
    ++d.stats.dropped;
    report({*decision.drop, std::vector<std::uint8_t>(frame + kEthernetHeader, frame + size), false});
    return;
  }
  if (decision.flip) {
    ++d.stats.corrupted;
    frame[kEthernetHeader + decision.flip->byte] ^= decision.flip->mask;
    if (decision.duplicate) {
      report({DropReason::link_corrupted, std::vector<std::uint8_t>(frame + kEthernetHeader, frame + size), true});
    }
  }
  const int copies = decision.duplicate ? 2 : 1;
  d.stats.duplicated += decision.duplicate ? 1 : 0;
  if (decision.extra_delay <= 0) {
    for (int c = 0; c < copies; ++c) {
      send(direction, frame, size);
    }
    return;
  }
  ++d.stats.delayed;
  const std::int64_t due = os::EpollDriver::now_ns() + decision.extra_delay;
  for (int c = 0; c < copies; ++c) {
    held_.push_back({due, sequence_++, direction, std::vector<std::uint8_t>(frame, frame + size)});
    std::push_heap(held_.begin(), held_.end(), [](const Held& x, const Held& y) { return held_later(x, y); });
  }
  arm_timer();
}

void FaultWire::report(WireDrop drop) {
  {
    const std::lock_guard lock(mutex_);
    drops_.push_back(std::move(drop));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(notify_fd_.get(), &one, sizeof one);
}

// Frames leave in batches: queued here (pointing into the receive buffer, which stays put until
// flush), written by flush() with one sendmmsg.
void FaultWire::send(int direction, const std::uint8_t* frame, std::size_t size) {
  if (pending_count_ == kBatch * 2) {
    flush(direction);
  }
  pending_[pending_count_++] = {const_cast<std::uint8_t*>(frame), size};
}

void FaultWire::flush(int direction) {
  std::array<mmsghdr, kBatch * 2> messages{};
  for (std::size_t i = 0; i < pending_count_; ++i) {
    messages[i].msg_hdr.msg_iov = &pending_[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  std::size_t done = 0;
  while (done < pending_count_) {
    const int n =
        ::sendmmsg(directions_[direction].out, messages.data() + done, static_cast<unsigned>(pending_count_ - done), 0);
    if (n <= 0) {
      // The frame at `done` could not go (the far end's backlog is full): lost, and counted.
      ++directions_[direction].stats.send_errors;
      ++done;
      continue;
    }
    done += static_cast<std::size_t>(n);
  }
  pending_count_ = 0;
}

void FaultWire::release_due() {
  const auto later = [](const Held& x, const Held& y) { return held_later(x, y); };
  while (!held_.empty()) {
    const std::int64_t now = os::EpollDriver::now_ns();
    if (held_.front().due_ns > now) {
      break;
    }
    std::pop_heap(held_.begin(), held_.end(), later);
    Held h = std::move(held_.back());
    held_.pop_back();
    send(h.direction, h.frame.data(), h.frame.size());
    flush(h.direction);
    delay_errors_ns_.push_back(os::EpollDriver::now_ns() - h.due_ns);
  }
  arm_timer();
}

void FaultWire::arm_timer() {
  itimerspec spec{};
  if (!held_.empty()) {
    const std::int64_t due = held_.front().due_ns;
    spec.it_value.tv_sec = due / 1'000'000'000;
    spec.it_value.tv_nsec = due % 1'000'000'000;
  }
  // An absolute time already past fires at once; a zero it_value disarms.
  ::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace tunlab::real
