// The pcap reader: any bytes as a pcap file (through a memfd, a regular file). Oracles: bad input
// is an InputError with one printable line; what is read is IPv4 packets whose total length is
// their size, at offsets that never go backwards and stay within a day.
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "fuzz_support.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/wire/ipv4.hpp"

using namespace tunlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = ::memfd_create("fuzz.pcap", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    fuzz::oracle_failed("memfd");
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const NonIpv4Frames mode = size > 0 && (data[size - 1] & 1) ? NonIpv4Frames::skip : NonIpv4Frames::reject;
  try {
    std::int64_t previous = 0;
    for (const PcapRecord& record : read_ipv4_pcap(path, mode)) {
      const auto ip = Ipv4View::parse(record.bytes);
      if (!ip || ip->total_length() != record.bytes.size()) {
        fuzz::oracle_failed("pcap: a record that is not exactly one IPv4 packet");
      }
      if (record.time_ns < previous || record.time_ns > limits::kMaxDurationNs) {
        fuzz::oracle_failed("pcap: an offset backwards or past a day");
      }
      previous = record.time_ns;
    }
  } catch (const InputError& e) {
    for (const char* c = e.what(); *c != 0; ++c) {
      if (static_cast<unsigned char>(*c) < 0x20 || *c == 0x7f) {
        fuzz::oracle_failed("pcap: an error line with a control character");
      }
    }
  }
  return 0;
}
