#include "tunlab/harness/random.hpp"

namespace tunlab {

Random Random::derive(std::uint64_t run_seed, std::string_view stream) {
  // FNV-1a over the stream name, mixed with the run seed by splitmix64.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : stream) {
    hash = (hash ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ULL;
  }
  std::uint64_t z = run_seed + 0x9e3779b97f4a7c15ULL * (hash | 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return Random(z ^ (z >> 31));
}

}  // namespace tunlab
