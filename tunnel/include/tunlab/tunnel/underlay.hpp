// Underlay: socket B, the raw IPPROTO_IPIP socket app B sends outer packets through and receives
// them (and the ICMP errors about them) from. Backends: sim::SimUnderlay (a raw socket on a
// simulated host) and real::RawIpipUnderlay (socket(AF_INET, SOCK_RAW, 4)).
#pragma once

#include <cstdint>
#include <span>
#include <utility>

#include "tunlab/tunnel/io_result.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Every field of the outer header the encapsulator decides. Length and checksum follow from the
// packet; the backend writes exactly these values (IP_HDRINCL semantics), so sim and real agree.
struct OuterHeader {
  Ipv4Address src;
  Ipv4Address dst;
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  std::uint16_t id = 0;
  bool df = false;
  // Super-packet mode only (TunnelConfig::super_packets): the outer datagram may exceed the path
  // MTU and the underlay sends it as RFC 791 fragments of at most this many bytes, as the kernel
  // would without IP_HDRINCL. 0: send it whole (every RFC 2003 packet).
  std::uint16_t fragment_size = 0;
};

// An ICMP error about a packet this socket sent (IP_RECVERR / MSG_ERRQUEUE on Linux).
struct UnderlayError {
  Ipv4Address reporter;  // the router or host that sent the ICMP message
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t mtu = 0;  // next-hop MTU for type 3 code 4, else 0
};

enum class UnderlayEvent { nothing, packet, error };

// One entry of a batched send: what send() takes, and what it answered.
struct OuterSend {
  OuterHeader outer;
  Packet inner;
  IoResult result;
};

class Underlay {
public:
  virtual ~Underlay() = default;

  // Sends `inner` behind an outer IPv4 header (protocol 4) with exactly `outer`'s fields.
  virtual IoResult send(const OuterHeader& outer, Packet&& inner) = 0;
  // Sends every entry in order, as send() would (the inner packets are consumed), and sets each
  // entry's result. Backends with a cheaper path (sendmmsg) override it.
  // How many sends the caller may gather before calling send_batch: 1 (the default) sends each at
  // once, which keeps a simulator's event order exactly as with send().
  virtual std::size_t send_batch_size() const { return 1; }
  virtual void send_batch(std::span<OuterSend> batch) {
    for (OuterSend& entry : batch) {
      entry.result = send(entry.outer, std::move(entry.inner));
    }
  }

  // Receives without blocking. packet: `out` holds a whole outer packet (outer header + inner),
  // already reassembled. error: `error` is filled in and `out` holds the quoted bytes (the
  // offending packet's outer header and as much of its payload as the reporter included).
  virtual UnderlayEvent receive(Packet& out, UnderlayError& error) = 0;

  // A UDP socket on the tunnel's host, for tunnels carried over UDP (the shape of OpenVPN,
  // WireGuard, tinc). bind_udp claims a local port; datagrams to it then arrive through receive()
  // as whole outer packets (IPv4 + UDP + payload), and ICMP errors quoting datagrams from it as
  // errors. send_udp sends `payload` in one datagram with `outer`'s IPv4 fields. A backend
  // without such a socket refuses both (a program that needs one is refused by name).
  virtual bool udp_supported() const { return false; }
  virtual bool bind_udp(std::uint16_t port) {
    (void)port;
    return false;
  }
  virtual IoResult send_udp(const OuterHeader& outer, std::uint16_t src_port, std::uint16_t dst_port,
                            Packet&& payload) {
    (void)outer;
    (void)src_port;
    (void)dst_port;
    (void)payload;
    IoResult result;
    result.status = IoStatus::error;
    result.sys_errno = 95;  // EOPNOTSUPP
    return result;
  }

  virtual int poll_fd() const { return -1; }
  // Packets the backend already took from the kernel (a recvmmsg batch) and not yet handed out
  // by receive(). The fd does not poll readable for them, so a caller must drain them.
  virtual std::size_t buffered() const { return 0; }
};

}  // namespace tunlab
