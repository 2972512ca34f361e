#!/usr/bin/env python3
"""An IPIP (RFC 2003) tunnel end in plain Python, written independently of tunlab, so a scenario
can check tunlab's engine against it and check that an external program works as app B, on real
namespaces and in the simulator (which runs this very program under its supervisor).

It attaches to an existing TUN device (the runner made it persistent) and moves packets:
  device -> outer IPv4 header (src local, dst remote, protocol 4, TTL 64, TOS and DF copied from
            the inner header) -> raw IPPROTO_IPIP socket with IP_HDRINCL
  raw socket -> only IPIP from `remote` to `local` -> outer header stripped -> device
ICMP errors about tunnelled packets are not relayed (RFC 2003 section 4 is optional for this).
SIGTERM or SIGINT: a clean exit with status 0.

  ipip_tunnel.py --dev tun0 --local 18.12.0.92 --remote 18.13.0.91
"""
import argparse
import fcntl
import os
import select
import signal
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4
OUTER_TTL = 64


def checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def outer_header(inner, local, remote, ident):
    tos = inner[1]
    df = inner[6] & 0x40
    fields = [0x45, tos, 20 + len(inner), ident, 0x4000 if df else 0, OUTER_TTL, IPPROTO_IPIP, 0, local, remote]
    header = struct.pack("!BBHHHBBH4s4s", *fields)
    fields[7] = checksum(header)
    return struct.pack("!BBHHHBBH4s4s", *fields)


def main():
    parser = argparse.ArgumentParser(description="an IPIP tunnel end over a TUN device and a raw socket")
    parser.add_argument("--dev", required=True)
    parser.add_argument("--local", required=True)
    parser.add_argument("--remote", required=True)
    args = parser.parse_args()
    local = socket.inet_aton(args.local)
    remote = socket.inet_aton(args.remote)

    stopping = []
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))

    # The socket first, the device last: tunlab starts traffic once the device has carrier.
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", args.dev.encode(), IFF_TUN | IFF_NO_PI))

    ident = 0
    while not stopping:
        readable, _, _ = select.select([tun, raw, wake_read], [], [])
        if tun in readable:
            inner = os.read(tun, 65535)
            if len(inner) >= 20 and inner[0] >> 4 == 4:
                ident = (ident + 1) & 0xFFFF
                try:
                    raw.sendto(outer_header(inner, local, remote, ident) + inner, (args.remote, 0))
                except OSError as error:  # EMSGSIZE, unreachable: the packet is lost, as on a wire
                    print("ipip_tunnel: send: %s" % error, file=sys.stderr)
        if raw in readable:
            packet = raw.recv(65535)
            header_length = (packet[0] & 0x0F) * 4
            if (len(packet) > header_length + 20 and packet[9] == IPPROTO_IPIP and packet[12:16] == remote
                    and packet[16:20] == local and packet[header_length] >> 4 == 4):
                os.write(tun, packet[header_length:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
