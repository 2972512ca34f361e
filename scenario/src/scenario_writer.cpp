#include "tunlab/scenario/scenario_writer.hpp"

#include <fstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "tunlab/scenario/fault_keys.hpp"
#include "tunlab/scenario/input_error.hpp"

namespace tunlab::scenario {

namespace {

YAML::Node flow_map() {
  YAML::Node node(YAML::NodeType::Map);
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}

YAML::Node flow_list(const std::vector<std::uint64_t>& numbers) {
  YAML::Node node(YAML::NodeType::Sequence);
  node.SetStyle(YAML::EmitterStyle::Flow);
  for (const std::uint64_t n : numbers) {
    node.push_back(n);
  }
  return node;
}

// Each fault's keys as the loader reads them back (fault_keys.hpp): the writer knows no key.
YAML::Node fault_node(const std::string& what, const std::string& where, const std::vector<FaultSetting>& settings) {
  YAML::Node node = flow_map();
  node[what] = where;
  for (const FaultSetting& setting : settings) {
    const std::string key(setting.key);
    if (setting.text.empty()) {
      node[key] = flow_list(setting.packets);
    } else {
      node[key] = setting.text;
    }
  }
  return node;
}

YAML::Node faults_node(const Scenario& s) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const LinkFaultSpec& f : s.link_faults) {
    list.push_back(fault_node("link", f.from.describe(), link_fault_settings(f)));
  }
  for (const DeviceFaultSpec& d : s.device_faults) {
    list.push_back(fault_node("device", d.host + "." + d.device, device_fault_settings(d)));
  }
  return list;
}

}  // namespace

void write_scenario_with_faults(const std::filesystem::path& original, const Scenario& faults_from, std::uint64_t seed,
                                const std::filesystem::path& out, const std::string& comment) {
  YAML::Node root = YAML::LoadFile(original.string());
  root.remove("faults");
  if (!faults_from.link_faults.empty() || !faults_from.device_faults.empty()) {
    root["faults"] = faults_node(faults_from);
  }
  root["seed"] = seed;
  // Replay fixtures are relative to the scenario file; keep them pointing at the same files.
  const std::filesystem::path from_dir = std::filesystem::absolute(original).parent_path();
  const std::filesystem::path to_dir = std::filesystem::absolute(out).parent_path();
  // Lookups go through const nodes: yaml-cpp's non-const operator[] inserts missing keys.
  const YAML::Node& const_root = root;
  if (const YAML::Node traffic = const_root["traffic"]; traffic && traffic.IsSequence()) {
    for (std::size_t i = 0; i < traffic.size(); ++i) {
      const YAML::Node item = traffic[i];
      const YAML::Node replay = item.IsMap() ? item["replay"] : YAML::Node();
      if (replay && replay.IsScalar()) {
        const std::filesystem::path path = replay.as<std::string>();
        if (path.is_relative()) {
          YAML::Node writable = item;
          writable["replay"] = (from_dir / path).lexically_normal().lexically_relative(to_dir).string();
        }
      }
    }
  }
  YAML::Emitter emitter;
  emitter << root;
  std::ofstream file(out);
  file << comment << emitter.c_str() << "\n";
  if (!file) {
    throw InputError(fmt::format("{}: cannot write the shrunk scenario", out.string()));
  }
}

}  // namespace tunlab::scenario
