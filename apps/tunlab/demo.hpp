// `tunlab demo` on both backends: the seed's example program, reading tun0 and printing the size
// of every packet app A's traffic puts there.
#pragma once

#include <cstdio>
#include <vector>

#include "tunlab/wire/packet.hpp"

namespace tunlab::cli {

// What app A sends, in order, from 10.0.0.12 to 10.0.0.22: UDP 40000 -> 9000 with payloads of 0,
// 64, 512 and 1400 bytes, then one echo request (ident 1, sequence 1, 56 bytes of data). Both
// backends send exactly these, so their outputs can be compared line for line.
std::vector<Packet> demo_packets();

// In a fresh network namespace of its own: tun0 10.0.0.12/24, app A's packets through a UDP and a
// raw ICMP socket, one "Read N bytes from device tun0" line per packet read. Throws InputError
// (exit 2) with the reason when the real backend is not available; returns 0, or 1 when tun0 did
// not carry exactly app A's packets.
int run_demo_real(std::FILE* out);

}  // namespace tunlab::cli
