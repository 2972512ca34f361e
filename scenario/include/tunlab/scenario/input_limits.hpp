// Bounds on what a scenario file or a pcap may ask for, so hostile input ends in one clear line
// (exit 2) rather than an endless read, a huge allocation or a signed overflow of virtual time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace tunlab {

namespace limits {
// Every duration, and every time a run is asked to reach (at + (count - 1) * interval, at + a pcap
// offset, run_until), is at most one day: sums of a few of them stay far from INT64_MAX, and the
// real backend never waits for decades.
inline constexpr std::int64_t kMaxDurationNs = 86'400'000'000'000;
inline constexpr std::uintmax_t kMaxScenarioBytes = 1u << 20;  // 1 MiB of YAML
inline constexpr std::uintmax_t kMaxPcapBytes = 1u << 30;      // 1 GiB of pcap
// Packets all the traffic entries of one scenario may send (YAML aliases can repeat an entry):
// runs stream in flat memory, so the bound is the 32-bit origin tag each packet gets (0 is the
// network's own packets, and one more is kept free).
inline constexpr std::uint64_t kMaxTrafficPackets = 4'294'967'294;
// YAML values the loader will visit (aliases let a small file name a tree of billions of values).
inline constexpr std::uint64_t kMaxYamlValues = 1'000'000;
// A simulated run ends: its virtual clock stays within 1,000 days (far past what its durations
// can add up to: traffic and run_until ask for at most a day, a hop's delay, jitter and reorder
// delay a day each, a 1 bit/s link days per packet), and it runs at most kMaxRunEvents events
// plus kMaxRunEventsPerPacket per packet sent (a packet of 65,535 bytes in fragments of 68 takes
// ~10,000 events).
inline constexpr std::int64_t kMaxRunTimeNs = 1000 * kMaxDurationNs;
inline constexpr std::uint64_t kMaxRunEvents = 10'000'000;
inline constexpr std::uint64_t kMaxRunEventsPerPacket = 100'000;
// Seeds one sweep (one shard of it) runs: it keeps one result per seed.
inline constexpr std::uint64_t kMaxSweepSeeds = 1'000'000;
}  // namespace limits

// Opens `path` for reading only if it is a regular file of at most `max_bytes` (a FIFO, a device
// such as /dev/zero, a directory or a socket is refused without blocking on it). Returns the file
// descriptor (blocking mode, close-on-exec); the caller owns it. Throws InputError with a line that
// starts with `place` (e.g. "x.yaml:1:1: document" or "x.pcap") otherwise.
int open_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes, const std::string& place);

// Reads a whole regular file of at most `max_bytes` (see open_regular_file).
std::string read_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes, const std::string& place);

}  // namespace tunlab
