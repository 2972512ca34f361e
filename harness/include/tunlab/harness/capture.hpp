// Captures: one pcap per interface, both directions, written in memory through libpcap's dumper so
// the run's digest does not depend on whether --capture was given. Timestamps are whatever the
// caller passes (virtual time in the simulator), never the wall clock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tunlab/wire/packet.hpp"

namespace tunlab {

enum class LinkType : int {
  raw = 101,        // LINKTYPE_RAW: IPv4/IPv6 packets, no link header (TUN interfaces)
  ethernet = 1,     // LINKTYPE_ETHERNET (TAP interfaces, veths, simulated links)
  linux_sll = 113,  // LINKTYPE_LINUX_SLL (read only)
};

class CaptureFile;

class CaptureSet {
public:
  CaptureSet();
  ~CaptureSet();
  CaptureSet(CaptureSet&&) noexcept;
  CaptureSet& operator=(CaptureSet&&) noexcept;

  // Opens (or returns) the capture for interface `name` ("left-tun0"); returns its index.
  std::size_t open(const std::string& name, LinkType link_type);
  // Appends one record. `time_ns` becomes the pcap timestamp (microsecond resolution).
  void record(std::size_t capture, std::int64_t time_ns, ByteView bytes);

  std::size_t packet_count(std::size_t capture) const;
  const std::string& name(std::size_t capture) const;
  std::size_t size() const;
  // The pcap file bytes of one capture (global header + records).
  std::vector<std::uint8_t> file_bytes(std::size_t capture) const;

  // Writes NAME.pcap for every capture into `dir` (created if missing). Returns name -> path,
  // ordered by name.
  std::map<std::string, std::filesystem::path> write_to(const std::filesystem::path& dir) const;
  // Lowercase hex SHA-256 over every capture's file bytes, in name order.
  std::string digest() const;

private:
  std::vector<std::unique_ptr<CaptureFile>> files_;
};

// One packet read from a pcap file.
struct PcapRecord {
  std::int64_t time_ns = 0;  // relative to the first record
  std::vector<std::uint8_t> bytes;
};

// Reads a pcap of IPv4 packets with link type RAW, Ethernet or Linux SLL and returns each
// record's IPv4 packet exactly as captured (no re-serialisation). Throws InputError naming the
// file and the 1-based packet number for a truncated file, a file that is not a pcap, an
// unsupported link type, or a record that does not hold an IPv4 packet.
// With NonIpv4Frames::skip, frames that carry something else (ARP, IPv6 on a veth) are left out
// instead of being an error: for reading back captures, not for replay input.
enum class NonIpv4Frames { reject, skip };
std::vector<PcapRecord> read_ipv4_pcap(const std::filesystem::path& path,
                                       NonIpv4Frames non_ipv4 = NonIpv4Frames::reject);

}  // namespace tunlab
