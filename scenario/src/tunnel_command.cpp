#include "tunlab/scenario/tunnel_command.hpp"

#include "tunlab/scenario/shell_quote.hpp"

#include <string_view>
#include <utility>

namespace tunlab::scenario {

std::string expand_tunnel_command(const TunnelSpec& tunnel, const Scenario& s) {
  const HostSpec* host = find_host(s, tunnel.host);
  const InterfaceSpec* iface = host ? find_interface(*host, tunnel.device) : nullptr;
  const std::pair<std::string_view, std::string> values[] = {
      {"dev", tunnel.device},
      {"local", tunnel.config.local.to_string()},
      {"remote", tunnel.config.remote.to_string()},
      {"inner", tunnel.config.inner_address.to_string()},
      {"host", tunnel.host},
      {"mtu", std::to_string(iface ? iface->mtu : 1500)},
      {"scenario_dir", shell_quote(s.file.parent_path().empty() ? std::string(".") : s.file.parent_path().string())},
  };
  std::string out;
  const std::string& in = tunnel.command;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '{') {
      const std::size_t close = in.find('}', i);
      const std::string_view name = std::string_view(in).substr(i + 1, close == std::string::npos ? 0 : close - i - 1);
      bool found = false;
      for (const auto& [key, value] : values) {
        if (close != std::string::npos && key == name) {
          out += value;
          i = close;
          found = true;
          break;
        }
      }
      if (found) {
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

}  // namespace tunlab::scenario
