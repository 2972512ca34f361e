#!/usr/bin/env python3
"""A tunnel end that asks for ICMP errors (IP_RECVERR) and reads one from its error queue.

It sends one 1220-byte IPIP packet with DF set towards the remote end; a router on a path with a
smaller MTU answers fragmentation-needed, and the simulator queues it on the raw socket. The probe
prints what recvmsg(MSG_ERRQUEUE) gave it on one line, for program_sim_test.sh to check.

    errqueue_probe.py REMOTE
"""
import select
import socket
import struct
import sys

IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_RECVERR = 10, 2, 11  # not all in Python 3.11's socket module

remote = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IPIP)
s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
inner = bytearray(1200)
inner[0], inner[8], inner[9] = 0x45, 64, 17
inner[2:4] = struct.pack("!H", len(inner))
inner[12:16] = socket.inet_aton("10.0.0.12")
inner[16:20] = socket.inet_aton("10.0.0.22")
s.sendto(bytes(inner), (remote, 0))

poller = select.poll()
poller.register(s, select.POLLIN)  # POLLERR comes whether asked for or not
events = poller.poll(5000)
if not events or not events[0][1] & select.POLLERR:
    print(f"errqueue: no POLLERR: {events}", file=sys.stderr)
    sys.exit(3)
data, ancillary, flags, address = s.recvmsg(2048, 512, socket.MSG_ERRQUEUE)
for level, kind, body in ancillary:
    if level == socket.IPPROTO_IP and kind == IP_RECVERR:
        errno, origin, icmp_type, icmp_code, _, info, _ = struct.unpack("=IBBBBII", body[:16])
        offender = socket.inet_ntoa(body[20:24])
        print(f"errqueue: errno {errno} origin {origin} icmp {icmp_type}/{icmp_code} mtu {info} from {offender} "
              f"to {address[0]} errqueue-flag {bool(flags & socket.MSG_ERRQUEUE)} quoted {len(data)}",
              file=sys.stderr)
        break
else:
    print(f"errqueue: no IP_RECVERR message: {ancillary}", file=sys.stderr)
    sys.exit(3)
# Stay until the run ends: a tunnel program that exits early fails the run.
select.select([], [], [])
