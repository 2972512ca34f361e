// Where a capture that nobody asked to keep waits for the digest. The digest hashes the captures
// one after the other in name order, so all but the first must be kept whole until the run ends:
// 780 bytes a packet on the seed topology, 7.8 GB for a 10 M-datagram run. Kept as plain pcap
// bytes, that much page cache cost the kernel more than the simulation took (system time grew
// 15x for 10x the packets) and needed gigabytes of free /tmp. Simulated traffic repeats itself,
// so zstd's fast levels shrink it several times over for less CPU than the page cache cost.
//
// The file is an unlinked temporary one (nothing is left behind, however the process ends)
// holding one zstd stream: a capture's records are alike, so a window that spans chunks finds
// far more to reuse than a frame per chunk would (22x against 9x on the seed topology's wan-left,
// both at level -1, and faster).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "read_ahead.hpp"

struct ZSTD_CCtx_s;

namespace tunlab {

class CompressedSpill {
public:
  // Measured on the seed topology's captures (1.5 GB/s and 22x at -1; level 1: 0.4 GB/s, 34x;
  // -3: 1.9 GB/s, 8x): -1 keeps the writer thread ahead of the simulation and the spill of a
  // 10 M-datagram run near 300 MB.
  static constexpr int kLevel = -1;

  // `what` names the spill in errors ("capture left-eth0 (temporary file)").
  explicit CompressedSpill(std::string what);
  ~CompressedSpill();
  CompressedSpill(const CompressedSpill&) = delete;
  CompressedSpill& operator=(const CompressedSpill&) = delete;

  void append(const std::uint8_t* data, std::size_t size);

  std::uint64_t original_bytes() const { return original_bytes_; }
  // What the file holds: known once read_back() ended the stream (appends buffer inside zstd).
  std::uint64_t stored_bytes() const { return stored_bytes_; }

  // Ends the stream so far and reads it back, decompressed, on a ReadAhead thread. Appends may
  // follow once the reader is gone (they start a new zstd frame, which the next read-back
  // decompresses after the first).
  std::unique_ptr<ReadAhead> read_back();

private:
  void compress(const std::uint8_t* data, std::size_t size, int directive);
  void write_out();

  std::string what_;
  int fd_ = -1;
  std::unique_ptr<ZSTD_CCtx_s, std::size_t (*)(ZSTD_CCtx_s*)> context_;
  std::vector<std::uint8_t> out_;  // compressed bytes not yet written
  std::size_t out_used_ = 0;
  std::uint64_t original_bytes_ = 0;
  std::uint64_t stored_bytes_ = 0;
};

}  // namespace tunlab
