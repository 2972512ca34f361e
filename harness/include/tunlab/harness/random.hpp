// Seeded randomness for faults, shared by both backends (the simulator's links and devices, and
// the device-fault wrapper either backend puts around its Device). std::mt19937_64's sequence is
// fixed by the standard, but the standard distributions are not, so the conversions to doubles
// and ranges are written here.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace tunlab {

class Random {
public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // A generator for one named stream ("wan.right"), independent of every other stream and of
  // the order streams are created in.
  static Random derive(std::uint64_t run_seed, std::string_view stream);

  std::uint64_t next() { return engine_(); }
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double probability) { return probability > 0 && uniform() < probability; }
  std::uint64_t below(std::uint64_t bound) { return bound == 0 ? 0 : engine_() % bound; }

private:
  std::mt19937_64 engine_;
};

}  // namespace tunlab
