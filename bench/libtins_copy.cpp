// libtins_copy: the baseline the scale benchmark compares tunlab with, and its input generator.
//   libtins_copy gen OUT.pcap N     N UDP packets 10.0.0.12:40000 -> 10.0.0.22:9000, 64-byte
//                                   payloads, LINKTYPE_RAW, 1 us apart (what tunlab replay reads)
//   libtins_copy copy IN.pcap OUT.pcap
//                                   reads every packet, parses it into a PDU tree, serialises it
//                                   and writes it: the least a pcap-to-pcap tool does per packet
// Both print the packet count. Run by bench/scale_bench.sh, never by the test suite.
#include <tins/ip.h>
#include <tins/packet.h>
#include <tins/packet_writer.h>
#include <tins/rawpdu.h>
#include <tins/sniffer.h>
#include <tins/udp.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "tins_raw_link.hpp"

namespace {

constexpr long kBaseSeconds = 1'700'000'000;

int generate(const std::string& out, std::uint64_t count) {
  Tins::PacketWriter writer(out, Tins::DataLinkType<Tins::IP>());
  std::vector<std::uint8_t> payload(64);
  for (std::uint64_t i = 0; i < count; ++i) {
    for (std::size_t b = 0; b < payload.size(); ++b) {
      payload[b] = static_cast<std::uint8_t>(i * 31 + b);
    }
    Tins::IP ip = Tins::IP("10.0.0.22", "10.0.0.12") / Tins::UDP(9000, 40000) / Tins::RawPDU(payload);
    ip.id(static_cast<std::uint16_t>(i + 1));
    ip.ttl(64);
    const long us = static_cast<long>(i);
    Tins::Packet packet(ip, Tins::Timestamp(timeval{kBaseSeconds + us / 1'000'000, us % 1'000'000}));
    writer.write(packet);
  }
  std::cout << count << "\n";
  return 0;
}

int copy(const std::string& in, const std::string& out) {
  Tins::FileSniffer sniffer(in);
  Tins::PacketWriter writer(out, Tins::DataLinkType<Tins::IP>());
  std::uint64_t count = 0;
  for (Tins::Packet packet : sniffer) {
    // FileSniffer parsed the record into an IP tree; serialising it and writing it is the copy.
    writer.write(packet);
    ++count;
  }
  std::cout << count << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "gen") {
      return generate(args[1], std::strtoull(args[2].c_str(), nullptr, 10));
    }
    if (args.size() == 3 && args[0] == "copy") {
      return copy(args[1], args[2]);
    }
    std::cerr << "usage: libtins_copy gen OUT.pcap N | copy IN.pcap OUT.pcap\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "libtins_copy: " << e.what() << "\n";
    return 1;
  }
}
