// scenario_mutate IN OUT: copies scenario file IN to OUT with its first expectation made false,
// editing only the bytes of one number so comments, layout and every other line stay as they
// were. Used by the scenario suite: a run of OUT must exit 1 with exactly expectation 0 failing,
// which shows the expectation is really checked and not vacuously true.
//
// What changes (the first key of the first expectation found, in this order):
//   count, received, echo_replies, bytes, delivered, injected, dropped.<first key>  -> value + 1
//   at_least                                                                       -> 4294967295
// Prints "KEY: OLD -> NEW" on success; exit 3 when the first expectation has nothing to mutate.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <yaml-cpp/yaml.h>

namespace {

int fail(const std::string& why) {
  std::fprintf(stderr, "scenario_mutate: %s\n", why.c_str());
  return 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    return fail("usage: scenario_mutate IN.yaml OUT.yaml");
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  try {
    const YAML::Node root = YAML::Load(text);
    const YAML::Node expect = root["expect"];
    if (!expect.IsDefined() || !expect.IsSequence() || expect.size() == 0) {
      return fail("no expectations");
    }
    const YAML::Node first = expect[0];
    std::string key;
    YAML::Node target;
    for (const char* candidate : {"count", "received", "echo_replies", "bytes", "delivered", "injected", "at_least"}) {
      // A missing key gives an invalid node, on which only IsDefined() is safe.
      if (first[candidate].IsDefined() && first[candidate].IsScalar()) {
        key = candidate;
        target = first[candidate];
        break;
      }
    }
    if (key.empty() && first["dropped"].IsDefined() && first["dropped"].IsMap() && first["dropped"].size() > 0) {
      const auto entry = first["dropped"].begin();
      key = "dropped." + entry->first.Scalar();
      target = entry->second;
    }
    if (key.empty()) {
      return fail("the first expectation has no count to change");
    }
    const std::string old_text = target.Scalar();
    const auto pos = static_cast<std::size_t>(target.Mark().pos);
    if (text.compare(pos, old_text.size(), old_text) != 0) {
      return fail("the value of " + key + " is not written plainly at its mark");
    }
    const unsigned long long old_value = std::stoull(old_text, nullptr, 0);
    const std::string new_text = key == "at_least" ? std::string("4294967295") : std::to_string(old_value + 1);
    text.replace(pos, old_text.size(), new_text);
    std::ofstream(argv[2], std::ios::binary) << text;
    std::printf("%s: %s -> %s\n", key.c_str(), old_text.c_str(), new_text.c_str());
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
