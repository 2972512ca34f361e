// The memory a tunnel program shares with its supervisor: packets staged ahead of the program's
// reads, and the virtual clock. Every trapped call costs two context switches (about 10 us on
// these machines), and a program that reads a packet, sends it on and reads again until EAGAIN
// makes four of them per packet. Staging lets the preloaded shim answer the reads and the clock
// in the program's own address space; only sends, blocking waits and everything else still trap.
//
// Both sides touch the area only while the other is stopped: the program runs only while the
// supervisor waits for its next trapped call, and the supervisor answers only while the program
// is stopped in one. The supervisor trusts nothing the program wrote here beyond the counts it
// checks (docs/programs-in-the-simulator.md).
#pragma once

#include <cstdint>

namespace tunlab::program::staging {

// Where the program finds the area: below the window of descriptors the filter traps (896..1023,
// filter.cpp).
inline constexpr int kAreaFd = 895;
inline constexpr int kFirstFd = 900;
inline constexpr int kFdCount = 100;
inline constexpr char kEnvironment[] = "TUNLAB_PROGRAM_STAGING";
inline constexpr std::uint32_t kMagic = 0x544c5347;  // "TLSG"
inline constexpr std::uint32_t kEntries = 16;
inline constexpr std::uint32_t kDataBytes = 1U << 18;

// What a simulated descriptor reads from.
enum Source : std::uint8_t { kNoSource = 0, kTunDevice = 1, kRawSocket = 2 };

struct Entry {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t taken = 0;  // the program: how many bytes it took (a short buffer truncates)
  std::uint32_t unused = 0;
};

struct Queue {
  std::uint32_t head = 0;         // the program: entries taken
  std::uint32_t tail = 0;         // the supervisor: entries staged
  std::uint32_t known_empty = 0;  // nothing waits behind the staged entries: a read answers EAGAIN
  std::uint32_t unused = 0;
  Entry entries[kEntries];
  std::uint8_t data[kDataBytes];
};

struct Area {
  std::uint32_t magic = 0;
  std::uint32_t clock_published = 0;  // 0 until the supervisor first answers: the clock traps
  std::int64_t realtime_ns = 0;
  std::int64_t monotonic_ns = 0;
  std::uint8_t source[kFdCount] = {};       // by descriptor - kFirstFd
  std::uint8_t nonblocking[kFdCount] = {};  // O_NONBLOCK as the program last set it
  Queue queues[2];                          // kTunDevice - 1, kRawSocket - 1
};

}  // namespace tunlab::program::staging
