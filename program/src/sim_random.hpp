// The program's randomness (getrandom, /dev/urandom): a stream from the run's seed and the host
// name, so the same scenario and seed give the program the same bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace tunlab::program {

class SimRandom {
public:
  SimRandom(std::uint64_t seed, std::string_view host) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a of the host name
    for (const char c : host) {
      h = (h ^ static_cast<std::uint8_t>(c)) * 1099511628211ULL;
    }
    state_ = seed ^ h;
  }
  // splitmix64: small, fast, and enough for a program's hash seeds and nonces in a test.
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  void fill(std::uint8_t* out, std::size_t size) {
    for (std::size_t i = 0; i < size; i += 8) {
      const std::uint64_t v = next();
      for (std::size_t j = 0; j < 8 && i + j < size; ++j) {
        out[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
      }
    }
  }

private:
  std::uint64_t state_;
};

}  // namespace tunlab::program
