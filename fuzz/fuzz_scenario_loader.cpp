// The scenario loader: any bytes as a scenario file. Oracles: it returns or throws InputError
// with one printable line naming the file; nothing else escapes (yaml-cpp's exceptions, bad_alloc,
// std::invalid_argument would be findings), nothing loops (libFuzzer's -timeout).
#include <string>

#include "fuzz_support.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"

using namespace tunlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    scenario::load_scenario_text(text, "fuzz.yaml");
  } catch (const InputError& e) {
    const std::string line = e.what();
    if (line.rfind("fuzz.yaml", 0) != 0) {
      fuzz::oracle_failed("loader: an error line that does not start with the file name");
    }
    for (const char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        fuzz::oracle_failed("loader: an error line with a control character");
      }
    }
  }
  return 0;
}
