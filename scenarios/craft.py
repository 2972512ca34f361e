#!/usr/bin/env python3
"""Prints the hex of the hand-crafted packets that scenarios inject with `raw:` traffic.

Every `raw:` string in scenarios/*.yaml comes from one function here; run
`python3 scenarios/craft.py NAME` to print them again (one space between headers).
Checksums are computed, never typed: the IP header checksum always, the UDP checksum is 0
("none", RFC 768), which every stack accepts.
"""
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def addr(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def ip(src, dst, proto, payload_len, tos=0, ttl=64, ident=1, df=False, mf=False, offset=0) -> bytes:
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (offset // 8)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident, flags, ttl, proto, 0,
                         addr(src), addr(dst))
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:]


def udp(sport, dport, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def inner_udp(payload_len=8, tos=0, ttl=64, ident=0x100, src="10.0.0.12", dst="10.0.0.22", dport=9000):
    """The inner packet app A would send: UDP 10.0.0.12:40000 -> 10.0.0.22:9000."""
    body = udp(40000, dport, bytes(i & 0xFF for i in range(payload_len)))
    return [ip(src, dst, 17, len(body), tos=tos, ttl=ttl, ident=ident), body]


def ipip(inner_parts, outer_src="18.12.0.92", outer_dst="18.13.0.91", tos=0, ttl=63, ident=0x200):
    """What right's eth0 sees from left's tunnel after wan (TTL 63)."""
    inner = b"".join(inner_parts)
    return [ip(outer_src, outer_dst, 4, len(inner), tos=tos, ttl=ttl, ident=ident)] + inner_parts


def icmp_error(kind, code, quoted: bytes, src="18.12.0.1", dst="18.12.0.92", mtu=0) -> list:
    body = struct.pack("!BBHHH", kind, code, 0, 0, mtu if (kind, code) == (3, 4) else 0) + quoted
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    return [ip(src, dst, 1, len(body), ttl=64, ident=0x300), body[:8], body[8:]]


def show(parts) -> str:
    return " ".join(part.hex() for part in parts)


def ecn_decap():
    # RFC 6040 table 2: every (outer ECN, inner ECN) pair, told apart by the inner destination port
    # 9000 + 10 * outer + inner. The outer DSCP is EF (46): decapsulation must not copy it inward.
    for outer in range(4):
        for inner in range(4):
            ident = 0x10 * outer + inner
            print(f"outer {outer} inner {inner}:",
                  show(ipip(inner_udp(tos=inner, ident=0x100 + ident, dport=9000 + 10 * outer + inner),
                            tos=0xB8 | outer, ident=0x200 + ident)))


def spoofed():
    print("legit  :", show(ipip(inner_udp(ident=0x101), ident=0x201)))
    print("spoofed:", show(ipip(inner_udp(ident=0x102, dport=9001), outer_src="18.12.0.99", ident=0x202)))
    print("martian inner:", show(ipip(inner_udp(ident=0x103, src="127.0.0.1", dport=9002), ident=0x203)))
    print("inner from our endpoint:", show(ipip(inner_udp(ident=0x104, src="18.13.0.91", dport=9003), ident=0x204)))


def outer_fragments():
    # One IPIP packet (20 + 20 + 8 + 100 = 148 bytes) cut after 64 payload bytes of the outer.
    inner = b"".join(inner_udp(payload_len=100, ident=0x110))
    first = ip("18.12.0.92", "18.13.0.91", 4, 64, ttl=63, ident=0x210, mf=True)
    second = ip("18.12.0.92", "18.13.0.91", 4, len(inner) - 64, ttl=63, ident=0x210, offset=64)
    print("first :", show([first, inner[:64]]))
    print("second:", show([second, inner[64:]]))


def icmp_relay():
    # What left sent: outer 18.12.0.92 -> 18.13.0.91 carrying app A's UDP datagram (TTL 64 outer
    # before wan); routers quote the outer header, the inner header and 8 bytes (the UDP header).
    sent = b"".join(ipip(inner_udp(ident=0x120), ttl=64, ident=0x220))
    quote = sent[:20 + 20 + 8]
    for kind, code in [(3, 0), (3, 1), (3, 3), (11, 0)]:
        print(f"{kind}/{code}:", show(icmp_error(kind, code, quote)))
    other = b"".join(ipip(inner_udp(ident=0x121), outer_dst="18.13.0.77", ttl=64, ident=0x221))[:48]
    print("3/0 about another tunnel:", show(icmp_error(3, 0, other)))
    short = sent[:20 + 8]
    print("3/0 quoting 8 inner bytes:", show(icmp_error(3, 0, short)))


def pmtu_spoofed():
    # Forged 3/4 errors "from wan" about left's tunnel, quoting the outer header and 8 bytes (the
    # inner header's first 8). Outer ID 1 is the first packet left's tunnel sent; 0x7777 it never sent.
    for ident, mtu in [(0x7777, 1000), (1, 68)]:
        sent = b"".join(ipip(inner_udp(payload_len=500), ttl=64, ident=ident))
        print(f"3/4 mtu {mtu} quoting outer id {ident:#x}:", show(icmp_error(3, 4, sent[:28], mtu=mtu)))


if __name__ == "__main__":
    commands = {"ecn-decap": ecn_decap, "spoofed-outer-source": spoofed, "outer-fragments": outer_fragments,
                "icmp-relay-rules": icmp_relay, "pmtu-spoofed-icmp": pmtu_spoofed}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: craft.py {'|'.join(commands)}")
    commands[sys.argv[1]]()
