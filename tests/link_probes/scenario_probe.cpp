// Loads a scenario with tunlab::scenario alone: a consumer that only loads and checks scenarios
// links no libpcap, OpenSSL or zstd (link_probe_test.sh reads the binary with ldd).
#include <iostream>

#include "tunlab/scenario/scenario_loader.hpp"

int main(int argc, char** argv) {
  if (argc > 1) {
    const tunlab::scenario::Scenario s = tunlab::scenario::load_scenario_file(argv[1]);
    std::cout << s.name << "\n";
  }
  return 0;
}
