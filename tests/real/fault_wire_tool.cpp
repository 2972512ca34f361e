// tunlab_fault_wire: the real backend's user-space wire (tunlab/real/fault_wire.hpp) outside a
// scenario run, for tests and benchmarks that build their own namespaces.
//
//   tunlab_fault_wire link NETNS_A IF_A NETNS_B IF_B [--fault K=V,...] [--reverse-fault K=V,...]
//                          [--seed N] [--mtu N]
//       Joins IF_A in NETNS_A to IF_B in NETNS_B (netns paths, e.g. /run/netns/x) through the
//       wire, in a namespace of its own; direction A->B takes --fault, B->A --reverse-fault (the
//       keys of a scenario's link faults, each direction on its own stream, as in a scenario). Prints "ready" once
//       frames flow, runs until SIGINT/SIGTERM, then prints one JSON line of what the wire did. Exit 2 on bad
//       arguments, 3 on a system failure.
//   tunlab_fault_wire bench [--packets N] [--size BYTES]
//       Sends N IPv4 packets of BYTES (IP header onwards) as fast as one AF_PACKET sender can,
//       once over a plain veth pair and once through the wire without faults, between namespaces
//       it makes, and prints what a receiver counted: packets/s and Gbit/s of each.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tunlab/os/epoll_driver.hpp"
#include "tunlab/os/netlink.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/real/fault_wire.hpp"
#include "tunlab/scenario/fault_override.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace {

using namespace tunlab;

// A handle on the namespace at `path`, taken from a thread that enters it.
os::Netns netns_at(const std::string& path, const std::string& label) {
  return std::async(std::launch::async,
                    [&] {
                      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
                        os::throw_errno("enter the namespace " + path);
                      }
                      ::close(fd);
                      return os::Netns::current(label);
                    })
      .get();
}

std::string stats_json(const real::FaultWire& wire) {
  const auto errors = wire.delay_errors_ns();
  const auto at = [&](double q) {
    return errors.empty() ? 0 : errors[static_cast<std::size_t>(q * static_cast<double>(errors.size() - 1))];
  };
  std::string out = "{";
  for (int d = 0; d < 2; ++d) {
    const real::WireDirectionStats s = wire.stats(d);
    out += fmt::format(
        "\"{}\": {{\"frames\": {}, \"ip_packets\": {}, \"dropped\": {}, \"corrupted\": {}, \"duplicated\": {}, "
        "\"delayed\": {}, \"send_errors\": {}}}, ",
        d == 0 ? "a_to_b" : "b_to_a", s.frames, s.ip_packets, s.dropped, s.corrupted, s.duplicated, s.delayed,
        s.send_errors);
  }
  out += fmt::format("\"held\": {}, \"delay_error_p50_ns\": {}, \"delay_error_p99_ns\": {}}}", errors.size(), at(0.5),
                     at(0.99));
  return out;
}

int link_command(const std::vector<std::string>& args) {
  if (args.size() < 4) {
    throw InputError(
        "usage: tunlab_fault_wire link NETNS_A IF_A NETNS_B IF_B [--fault K=V,...] [--reverse-fault K=V,...] "
        "[--seed N] [--mtu N]");
  }
  std::string fault;
  std::string reverse_fault;
  std::uint64_t seed = 1;
  std::size_t mtu = 1500;
  for (std::size_t i = 4; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) {
      throw InputError("tunlab_fault_wire: " + args[i] + " needs a value");
    }
    if (args[i] == "--fault") {
      fault = args[i + 1];
    } else if (args[i] == "--reverse-fault") {
      reverse_fault = args[i + 1];
    } else if (args[i] == "--seed") {
      seed = std::stoull(args[i + 1]);
    } else if (args[i] == "--mtu") {
      mtu = std::stoul(args[i + 1]);
    } else {
      throw InputError("tunlab_fault_wire: unknown option " + args[i]);
    }
  }
  // The faults parsed and checked as `--fault` is for a scenario: on a one-link model.
  scenario::Scenario model;
  scenario::LinkSpec spec;
  spec.a = {"a", args[1]};
  spec.b = {"b", args[3]};
  model.links.push_back(spec);
  const auto faults = [&](const std::string& text, const scenario::LinkEnd& from) {
    if (text.empty()) {
      return LinkFaults();
    }
    FaultOverrides overrides;
    overrides.link.push_back(from.describe() + ":" + text);
    scenario::Scenario one = model;
    apply_fault_overrides(one, overrides);
    return LinkFaults(one.link_faults.front(), Random::derive(seed, LinkFaults::stream_name(from)));
  };
  LinkFaults a_to_b = faults(fault, spec.a);
  LinkFaults b_to_a = faults(reverse_fault, spec.b);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the wire's thread starts

  const os::Netns ns_a = netns_at(args[0], "a");
  const os::Netns ns_b = netns_at(args[2], "b");
  const os::Netns wire_ns("wire");
  os::disable_ipv6(wire_ns);
  os::veth_create(ns_a, args[1], wire_ns, "l0a");
  os::veth_create(ns_b, args[3], wire_ns, "l0b");
  for (const auto& [ns, name] : {std::pair{&ns_a, args[1]}, std::pair{&ns_b, args[3]}}) {
    os::link_set_mtu(*ns, name, mtu);
    real::disable_tx_offloads(*ns, name);
  }
  for (const char* end : {"l0a", "l0b"}) {
    os::link_set_mtu(wire_ns, end, mtu);
    os::link_set_up(wire_ns, end, true);
  }
  real::FaultWire wire(wire_ns, "l0a", "l0b", std::move(a_to_b), std::move(b_to_a), mtu);
  wire.start();
  std::printf("ready\n");
  std::fflush(stdout);
  int signo = 0;
  ::sigwait(&signals, &signo);
  wire.stop();
  std::printf("%s\n", stats_json(wire).c_str());
  return 0;
}

// One AF_PACKET socket bound to `ifname` in `ns`.
os::Fd packet_socket(const os::Netns& ns, const std::string& ifname) {
  return os::run_in(ns, [&] {
    os::Fd fd = os::Fd::checked(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)), "socket(AF_PACKET)");
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
    const int buffer = 64 << 20;
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0 ||
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
      os::throw_errno("bind AF_PACKET to " + ifname);
    }
    return fd;
  });
}

struct Rate {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  double seconds = 0;
};

// Sends `packets` frames out of `from` in `ns_a` while a receiver counts IPv4 frames arriving
// on `to` in `ns_b`, from its first to its last; the receiver stops 300 ms after the last frame.
Rate measure(const os::Netns& ns_a, const std::string& from, const os::Netns& ns_b, const std::string& to,
             std::uint64_t packets, std::size_t size) {
  os::Fd tx = packet_socket(ns_a, from);
  os::Fd rx = packet_socket(ns_b, to);
  UdpSpec udp;
  udp.src = Ipv4Address("192.0.2.1");
  udp.dst = Ipv4Address("192.0.2.2");
  udp.payload_size = size - 28;
  const Packet ip = build_udp(udp);
  std::vector<std::uint8_t> frame(14 + ip.size());
  const std::uint8_t header[14] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
  std::memcpy(frame.data(), header, 14);
  std::memcpy(frame.data() + 14, ip.bytes().data(), ip.size());

  std::atomic<bool> sending{true};
  Rate rate;
  std::thread receiver([&] {
    std::vector<std::uint8_t> buffer(65536);
    std::int64_t first = 0;
    std::int64_t last = 0;
    pollfd pfd{rx.get(), POLLIN, 0};
    while (true) {
      if (::poll(&pfd, 1, 300) == 0 && !sending.load()) {
        break;
      }
      while (true) {
        const ssize_t n = ::recv(rx.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0) {
          break;
        }
        if (n >= 14 && buffer[12] == 0x08 && buffer[13] == 0x00) {
          last = os::EpollDriver::now_ns();
          first = first == 0 ? last : first;
          ++rate.received;
        }
      }
    }
    rate.seconds = static_cast<double>(last - first) / 1e9;
  });
  // The sender as cheap as it gets (sendmmsg batches of 64), so the path is what is measured.
  constexpr unsigned kBatch = 64;
  std::vector<iovec> vectors(kBatch, iovec{frame.data(), frame.size()});
  std::vector<mmsghdr> messages(kBatch);
  for (unsigned i = 0; i < kBatch; ++i) {
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  while (rate.sent < packets) {
    const auto batch = static_cast<unsigned>(std::min<std::uint64_t>(kBatch, packets - rate.sent));
    const int n = ::sendmmsg(tx.get(), messages.data(), batch, 0);
    rate.sent += n > 0 ? static_cast<std::uint64_t>(n) : 0;
    if (n <= 0) {
      ++rate.sent;  // a frame the veth refused: sent and lost
    }
  }
  sending.store(false);
  receiver.join();
  return rate;
}

int bench_command(const std::vector<std::string>& args) {
  std::uint64_t packets = 1'000'000;
  std::size_t size = 64;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--packets") {
      packets = std::stoull(args[i + 1]);
    } else if (args[i] == "--size") {
      size = std::stoul(args[i + 1]);
    } else {
      throw InputError("tunlab_fault_wire: unknown option " + args[i]);
    }
  }
  if (size < 28 || size > 1500) {
    throw InputError("tunlab_fault_wire: --size must be 28..1500");
  }
  const os::Netns a("a");
  const os::Netns b("b");
  const os::Netns w("wire");
  for (const os::Netns* ns : {&a, &b, &w}) {
    os::disable_ipv6(*ns);
  }
  os::veth_create(a, "plain", b, "plain");
  os::veth_create(a, "wired", w, "l0a");
  os::veth_create(b, "wired", w, "l0b");
  for (const os::Netns* ns : {&a, &b}) {
    for (const char* name : {"plain", "wired"}) {
      real::disable_tx_offloads(*ns, name);
      os::link_set_up(*ns, name, true);
    }
  }
  for (const char* end : {"l0a", "l0b"}) {
    os::link_set_up(w, end, true);
  }
  real::FaultWire wire(w, "l0a", "l0b", LinkFaults(), LinkFaults());
  wire.start();
  const Rate plain = measure(a, "plain", b, "plain", packets, size);
  const Rate wired = measure(a, "wired", b, "wired", packets, size);
  wire.stop();
  for (const auto& [name, r] : {std::pair{"plain veth", plain}, std::pair{"fault wire", wired}}) {
    const double pps = r.seconds > 0 ? static_cast<double>(r.received) / r.seconds : 0;
    std::printf("%-10s %4zu-byte packets: sent %llu, received %llu in %.3f s: %.0f packets/s, %.2f Gbit/s\n", name,
                size, static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.received), r.seconds,
                pps, pps * static_cast<double>(size) * 8 / 1e9);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && args[0] == "link") {
      return link_command({args.begin() + 1, args.end()});
    }
    if (!args.empty() && args[0] == "bench") {
      return bench_command({args.begin() + 1, args.end()});
    }
    std::fprintf(stderr,
                 "usage: tunlab_fault_wire link|bench ... (see the comment at the top of fault_wire_tool.cpp)\n");
    return 2;
  } catch (const InputError& e) {
    std::fprintf(stderr, "tunlab_fault_wire: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tunlab_fault_wire: system failure: %s\n", e.what());
    return 3;
  }
}
