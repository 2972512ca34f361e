// Captures: one pcap per interface, both directions, streamed as packets pass: into NAME.pcap in
// the capture directory with --capture, else into an unlinked temporary file, so the run's digest
// does not depend on whether --capture was given and memory stays flat however long the run.
// Timestamps are whatever the caller passes (virtual time in the simulator), never the wall clock.
// Pcap input streams too: PcapReader yields one record at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
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
class CaptureSpool;

class CaptureSet {
public:
  // Each capture goes to an unlinked temporary file (the digest needs the bytes; memory does not).
  CaptureSet();
  // Each capture goes to DIR/NAME.pcap (DIR created if missing; InputError if it cannot be) as
  // packets are recorded.
  explicit CaptureSet(const std::filesystem::path& dir);
  ~CaptureSet();
  CaptureSet(CaptureSet&&) noexcept;
  CaptureSet& operator=(CaptureSet&&) noexcept;

  // Opens (or returns) the capture for interface `name` ("left-tun0"); returns its index.
  std::size_t open(const std::string& name, LinkType link_type);
  // Declares that no capture will be opened any more. The first capture in name order is then
  // hashed as it is written (and, without a directory, not stored at all). Optional.
  void seal();
  // Appends one record. `time_ns` becomes the pcap timestamp (microsecond resolution).
  void record(std::size_t capture, std::int64_t time_ns, ByteView bytes);
  // The same for a frame of `link_header` then `bytes` that the caller never assembled (the
  // simulator's links carry IP packets; their captures show Ethernet frames).
  void record(std::size_t capture, std::int64_t time_ns, ByteView link_header, ByteView bytes);

  std::size_t packet_count(std::size_t capture) const;
  const std::string& name(std::size_t capture) const;
  std::size_t size() const;
  // The pcap file bytes of one capture (global header + records); read back from its file. Not
  // available for a capture that is only hashed (see seal()).
  std::vector<std::uint8_t> file_bytes(std::size_t capture) const;

  // Writes NAME.pcap for every capture into `dir` (created if missing); a no-op for captures
  // already streaming there. Returns name -> path, ordered by name.
  std::map<std::string, std::filesystem::path> write_to(const std::filesystem::path& dir) const;
  // Lowercase hex SHA-256 over every capture's file bytes, in name order (the concatenation of
  // the files, as if hashed one after the other).
  std::string digest() const;

private:
  std::optional<std::filesystem::path> dir_;
  bool sealed_ = false;
  std::unique_ptr<CaptureSpool> spool_;  // before files_: they hand it chunks until destroyed
  std::vector<std::unique_ptr<CaptureFile>> files_;
};

// One packet read from a pcap file.
struct PcapRecord {
  std::int64_t time_ns = 0;  // relative to the first record
  std::vector<std::uint8_t> bytes;
};

enum class NonIpv4Frames { reject, skip };

// Reads a pcap of IPv4 packets with link type RAW, Ethernet or Linux SLL one record at a time and
// yields each record's IPv4 packet exactly as captured (no re-serialisation). Throws InputError
// naming the file (and the 1-based packet number) for a file that cannot be opened or is not a
// pcap, an unsupported link type (at construction), a truncated record, or a record that does not
// hold an IPv4 packet (from next()).
class PcapReader {
public:
  // One record: valid until the next call to next().
  struct Record {
    std::int64_t time_ns = 0;  // relative to the file's first record
    ByteView bytes;            // the IPv4 packet
    std::size_t number = 0;    // 1-based record number in the file
  };

  explicit PcapReader(const std::filesystem::path& path, NonIpv4Frames non_ipv4 = NonIpv4Frames::reject);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // The next IPv4 record, or nullopt at the end of the file.
  std::optional<Record> next();

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads a whole pcap of IPv4 packets with link type RAW, Ethernet or Linux SLL and returns each
// record's IPv4 packet exactly as captured (no re-serialisation). Throws InputError naming the
// file and the 1-based packet number for a truncated file, a file that is not a pcap, an
// unsupported link type, or a record that does not hold an IPv4 packet.
// With NonIpv4Frames::skip, frames that carry something else (ARP, IPv6 on a veth) are left out
// instead of being an error: for reading back captures, not for replay input. Keeps every packet
// in memory: for small files; stream big ones with PcapReader.
std::vector<PcapRecord> read_ipv4_pcap(const std::filesystem::path& path,
                                       NonIpv4Frames non_ipv4 = NonIpv4Frames::reject);

}  // namespace tunlab
