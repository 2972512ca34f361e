// The common pcap file, read in place. libpcap reads a savefile record by record through two
// fread calls and a copy into its own buffer: about 400 instructions a record, which made reading
// the pcap an eighth of a replay's simulation (the file is read three times: the check before the
// run, the traffic, and replay's byte-for-byte comparison). Most files are the plain kind, so
// their records are taken straight out of large blocks of the file instead.
//
// libpcap stays the authority on the format: it opens the file and checks its header; only a
// file in this machine's byte order, with the microsecond or nanosecond magic and version 2.4,
// is read here; and at the first record that is not plain (one longer than the snapshot length,
// one cut short by the end of the file) or a read error, libpcap takes over at that very record,
// so it reports every error and treats every odd record exactly as it always did.
#pragma once

#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tunlab {

class PlainPcapRecords {
public:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  static constexpr std::size_t kRecordHeader = 16;

  // Whether the file behind `fd`, which libpcap opened as `pcap`, is one this class reads. `fd`
  // stays the caller's; it is read with pread, so the descriptor's position does not matter.
  static bool takes(int fd, pcap_t* pcap);
  PlainPcapRecords(int fd, pcap_t* pcap);

  // The next record as pcap_next_ex would give it (for a nanosecond-precision pcap_t), its bytes
  // valid until the next call. False where libpcap must go on: offset() is the file position of
  // the record it is to read next (the end of the file included).
  bool next(pcap_pkthdr& header, const std::uint8_t*& data);
  std::uint64_t offset() const { return cursor_; }

private:
  // `size` bytes of the file from `offset` (>= every offset asked before), or null when the file
  // does not hold them (or cannot be read). Inline: it runs twice a record, nearly always a hit.
  const std::uint8_t* bytes_at(std::uint64_t offset, std::size_t size) {
    if (offset + size <= block_start_ + block_size_) {
      return block_.get() + (offset - block_start_);
    }
    return refill(offset, size);
  }
  const std::uint8_t* refill(std::uint64_t offset, std::size_t size);

  int fd_;
  bool nanosecond_file_;
  std::uint32_t snapshot_;
  std::unique_ptr<std::uint8_t[]> block_;
  std::uint64_t block_start_ = 0;  // the file offset of block_[0]
  std::size_t block_size_ = 0;
  std::uint64_t cursor_ = 24;  // the record after the 24-byte file header
};

}  // namespace tunlab
