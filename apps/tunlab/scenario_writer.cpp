#include "scenario_writer.hpp"

#include <fstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "tunlab/harness/input_error.hpp"

namespace tunlab::cli {

namespace {

// Durations as the loader reads them, in the largest unit that keeps them exact.
std::string duration_text(scenario::Nanos ns) {
  if (ns == 0) {
    return "0";
  }
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

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

YAML::Node faults_node(const scenario::Scenario& s) {
  YAML::Node list(YAML::NodeType::Sequence);
  const scenario::LinkFaultSpec link_defaults;
  for (const scenario::LinkFaultSpec& f : s.link_faults) {
    YAML::Node node = flow_map();
    node["link"] = f.from.describe();
    // Probabilities print in the shortest form that reads back as the same double.
    for (const auto& [key, value] : {std::pair{"loss", f.loss}, std::pair{"duplicate", f.duplicate},
                                     std::pair{"reorder", f.reorder}, std::pair{"corrupt", f.corrupt}}) {
      if (value > 0) {
        node[key] = fmt::format("{}", value);
      }
    }
    if (f.reorder_delay_ns != link_defaults.reorder_delay_ns && (f.reorder > 0 || !f.reorder_nth.empty())) {
      node["reorder_delay"] = duration_text(f.reorder_delay_ns);
    }
    if (f.jitter_ns > 0) {
      node["jitter"] = duration_text(f.jitter_ns);
    }
    for (const auto& [key, numbers] :
         {std::pair{"drop_nth", &f.drop_nth}, std::pair{"corrupt_nth", &f.corrupt_nth},
          std::pair{"reorder_nth", &f.reorder_nth}, std::pair{"duplicate_nth", &f.duplicate_nth}}) {
      if (!numbers->empty()) {
        node[key] = flow_list(*numbers);
      }
    }
    list.push_back(node);
  }
  const scenario::DeviceFaultSpec device_defaults;
  for (const scenario::DeviceFaultSpec& d : s.device_faults) {
    YAML::Node node = flow_map();
    node["device"] = d.host + "." + d.device;
    if (d.eagain > 0) node["eagain"] = fmt::format("{}", d.eagain);
    if (d.read_buffer > 0) node["read_buffer"] = d.read_buffer;
    if (d.queue_limit != device_defaults.queue_limit) node["queue_limit"] = d.queue_limit;
    if (d.down_at_ns) node["down_at"] = duration_text(*d.down_at_ns);
    if (d.up_at_ns) node["up_at"] = duration_text(*d.up_at_ns);
    list.push_back(node);
  }
  return list;
}

}  // namespace

void write_scenario_with_faults(const std::filesystem::path& original, const scenario::Scenario& faults_from,
                                std::uint64_t seed, const std::filesystem::path& out, const std::string& comment) {
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

}  // namespace tunlab::cli
