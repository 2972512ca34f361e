#include <algorithm>
#include <stdexcept>

#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/tunnel_engine.hpp"

namespace tunlab {

namespace {

std::unique_ptr<AppB> build_engine(const AppEnvironment& env) {
  auto engine = std::make_unique<TunnelEngine>(env.config, env.device, env.underlay);
  DropReporter* drops = &env.drops;
  engine->set_drop_observer(
      [drops](const Packet& packet, DropReason reason) { drops->dropped(packet, to_string(reason)); });
  engine->set_relay_observer(
      [drops](ByteView quoted, std::string_view decision) { drops->icmp_decision(quoted, decision); });
  return engine;
}

}  // namespace

bool AppRegistry::valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

const AppRegistry& AppRegistry::builtin() {
  static const AppRegistry apps = with_builtin_apps();
  return apps;
}

AppRegistry AppRegistry::with_builtin_apps() {
  AppRegistry registry;
  registry.add(std::string(kDefaultApp), build_engine);
  return registry;
}

void AppRegistry::add(std::string name, AppFactory factory) {
  if (!valid_name(name)) {
    throw std::invalid_argument("app name '" + name + "': use lower-case letters, digits and '-'");
  }
  if (!factory) {
    throw std::invalid_argument("app '" + name + "': no factory");
  }
  if (!factories_.emplace(name, std::move(factory)).second) {
    throw std::invalid_argument("app '" + name + "' is already registered");
  }
}

const AppFactory* AppRegistry::find(std::string_view name) const {
  const auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> AppRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& entry : factories_) {
    out.push_back(entry.first);
  }
  return out;
}

std::unique_ptr<AppB> AppRegistry::build(std::string_view name, const AppEnvironment& environment) const {
  const AppFactory* factory = find(name);
  if (factory == nullptr) {
    std::string known;
    for (const std::string& n : names()) {
      known += (known.empty() ? "" : ", ") + n;
    }
    throw std::invalid_argument("unknown app '" + std::string(name) + "' (known: " + known + ")");
  }
  std::unique_ptr<AppB> app = (*factory)(environment);
  if (!app) {
    throw std::invalid_argument("app '" + std::string(name) + "': its factory built nothing");
  }
  return app;
}

}  // namespace tunlab
