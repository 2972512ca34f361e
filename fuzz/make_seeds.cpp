// Writes the packet targets' seed corpora from the pcap fixtures: every packet of fixtures/*.pcap
// (read with the reader under test) framed as each target expects its input.
//   make_seeds FIXTURES_DIR OUT_DIR   -> OUT_DIR/{encapsulate,decapsulate,tap_frame,simulation}/
// and, from the scenarios beside FIXTURES_DIR (../scenarios), OUT_DIR/report/.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "tunlab/capture/capture.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

void write(const fs::path& dir, std::size_t n, const Bytes& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / ("seed-" + std::to_string(n)), std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// An outer header 18.12.0.92 -> 18.13.0.91, protocol 4, in front of `inner`.
Bytes wrap(const Bytes& inner) {
  Bytes p(20);
  p[0] = 0x45;
  const auto total = static_cast<std::uint16_t>(20 + inner.size());
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[8] = 63;
  p[9] = 4;
  const std::uint8_t addresses[] = {18, 12, 0, 92, 18, 13, 0, 91};
  std::copy(std::begin(addresses), std::end(addresses), p.begin() + 12);
  tunlab::ipv4_edit::recompute_checksum(tunlab::MutableByteView(p.data(), 20));
  p.insert(p.end(), inner.begin(), inner.end());
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_seeds FIXTURES_DIR OUT_DIR\n";
    return 2;
  }
  const fs::path out = argv[2];
  std::size_t n = 0;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(argv[1])) {
    if (entry.path().extension() == ".pcap" && entry.path().filename().string().rfind("bad-", 0) != 0) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    for (const tunlab::PcapRecord& record : tunlab::read_ipv4_pcap(file, tunlab::NonIpv4Frames::skip)) {
      const Bytes& ip = record.bytes;
      ++n;
      Bytes encap = {0, 0, 0x05, 0xb4, 0, 1};  // defaults, underlay MTU 1500 (88 + 1412)
      encap.insert(encap.end(), ip.begin(), ip.end());
      write(out / "encapsulate", n, encap);
      Bytes decap = {1, 0x43, 0x05, 0x78};  // martian check on; a 3/4 with MTU 1400
      const Bytes outer = wrap(ip);
      decap.insert(decap.end(), outer.begin(), outer.end());
      write(out / "decapsulate", n, decap);
      Bytes frame = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 1, 1, 0x08, 0x00};
      frame.insert(frame.end(), ip.begin(), ip.end());
      write(out / "tap_frame", n, frame);
      Bytes sim = {
          0x05, 0xdc, 0, 0, 0, static_cast<std::uint8_t>(ip.size() >> 8), static_cast<std::uint8_t>(ip.size())};
      sim.insert(sim.end(), ip.begin(), ip.end());
      write(out / "simulation", n, sim);
    }
  }
  // An ARP request on the tap device, which app B answers.
  write(out / "tap_frame", ++n,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,  0, 0, 1,  1, 0x08, 0x06, 0, 1, 8, 0,  6, 4, 0,
         1,    0x02, 0,    0,    0,    1,    1,    10, 0, 0, 12, 0, 0,    0,    0, 0, 0, 10, 0, 0, 22});
  // fuzz_report: a name (its length first) and a scenario: every scenario of scenarios/, with no
  // name and with names of the kinds that broke the writers.
  std::size_t reports = 0;
  std::vector<fs::path> scenarios;
  for (const auto& entry : fs::directory_iterator(fs::path(argv[1]) / ".." / "scenarios")) {
    if (entry.path().extension() == ".yaml") {
      scenarios.push_back(entry.path());
    }
  }
  std::sort(scenarios.begin(), scenarios.end());
  const std::string names[] = {"",        "<!--<script>",    "/*TUNLAB-DATA*/",
                               "caf\xe9", "\x1b[2J\rPASS\n", "\xef\xbf\xbe\xef\xbf\xbf"};
  for (const fs::path& file : scenarios) {
    std::ifstream in(file, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string& name : names) {
      Bytes seed = {static_cast<std::uint8_t>(name.size())};
      seed.insert(seed.end(), name.begin(), name.end());
      seed.insert(seed.end(), text.begin(), text.end());
      write(out / "report", ++reports, seed);
    }
  }
  std::cout << "make_seeds: " << n << " seeds per packet target from " << files.size() << " pcaps, " << reports
            << " report seeds\n";
  return n > 0 ? 0 : 1;
}
