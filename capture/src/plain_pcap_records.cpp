#include "plain_pcap_records.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tunlab {

namespace {

constexpr std::uint32_t kMicrosecondMagic = 0xa1b2c3d4;
constexpr std::uint32_t kNanosecondMagic = 0xa1b23c4d;

std::uint32_t file_magic(int fd) {
  std::uint32_t magic = 0;
  return ::pread(fd, &magic, sizeof magic, 0) == static_cast<ssize_t>(sizeof magic) ? magic : 0;
}

}  // namespace

bool PlainPcapRecords::takes(int fd, pcap_t* pcap) {
  // Swapped files and the older versions (whose caplen and len may be interchanged) stay libpcap's.
  const std::uint32_t magic = file_magic(fd);
  return (magic == kMicrosecondMagic || magic == kNanosecondMagic) && pcap_major_version(pcap) == 2 &&
         pcap_minor_version(pcap) == 4 && pcap_snapshot(pcap) > 0;
}

PlainPcapRecords::PlainPcapRecords(int fd, pcap_t* pcap)
    : fd_(fd),
      nanosecond_file_(file_magic(fd) == kNanosecondMagic),
      // libpcap has already brought the header's snapshot length within its bounds for the link type.
      snapshot_(static_cast<std::uint32_t>(pcap_snapshot(pcap))),
      block_(std::make_unique_for_overwrite<std::uint8_t[]>(kBlockBytes)) {}

bool PlainPcapRecords::next(pcap_pkthdr& header, const std::uint8_t*& data) {
  const std::uint8_t* record = bytes_at(cursor_, kRecordHeader);
  if (record == nullptr) {
    return false;
  }
  std::uint32_t fields[4];  // seconds, fraction, captured length, original length
  std::memcpy(fields, record, sizeof fields);
  const std::uint32_t caplen = fields[2];
  // A record longer than the snapshot length is cut or refused by libpcap's own rules.
  if (caplen > snapshot_ || caplen > kBlockBytes - kRecordHeader) {
    return false;
  }
  record = bytes_at(cursor_, kRecordHeader + caplen);
  if (record == nullptr) {
    return false;
  }
  // As libpcap fills it: the file's signed 32-bit fields, a microsecond fraction scaled to ns.
  header.ts.tv_sec = static_cast<std::int32_t>(fields[0]);
  const auto fraction = static_cast<suseconds_t>(static_cast<std::int32_t>(fields[1]));
  header.ts.tv_usec = nanosecond_file_ ? fraction : fraction * 1000;
  header.caplen = caplen;
  header.len = fields[3];
  data = record + kRecordHeader;
  cursor_ += kRecordHeader + caplen;
  return true;
}

const std::uint8_t* PlainPcapRecords::refill(std::uint64_t offset, std::size_t size) {
  std::size_t got = 0;
  while (got < kBlockBytes) {
    const ssize_t n = ::pread(fd_, block_.get() + got, kBlockBytes - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;  // the end of the file, or an error libpcap meets again and reports
    }
    got += static_cast<std::size_t>(n);
  }
  block_start_ = offset;
  block_size_ = got;
  return size <= got ? block_.get() : nullptr;
}

}  // namespace tunlab
