#include "tunlab/harness/tunnel_command.hpp"

#include <string_view>
#include <utility>

namespace tunlab::scenario {

namespace {

// Shell-quotes `text` unless it is made of characters a shell takes literally.
std::string shell_word(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./-+:=@%,") == std::string::npos;
  if (plain) {
    return text;
  }
  std::string quoted = "'";
  for (const char ch : text) {
    quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  }
  return quoted + "'";
}

}  // namespace

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
      {"scenario_dir", shell_word(s.file.parent_path().empty() ? std::string(".") : s.file.parent_path().string())},
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
