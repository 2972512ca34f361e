// Scenario files, topology: hosts, links, tunnels and their underlay MTUs, and the
// HOST.INTERFACE references the other sections make to them.
#include "scenario_loader_internal.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "tunlab/scenario/shell_quote.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::scenario::detail {

std::string Loader::host_names() const {
  std::vector<std::string> names;
  for (const HostSpec& host : s_.hosts) {
    names.push_back(host.name);
  }
  return join(names);
}

HostSpec& Loader::host_named(const Value& value, const std::string& name) {
  for (HostSpec& host : s_.hosts) {
    if (host.name == name) {
      return host;
    }
  }
  value.fail(fmt::format("no host {} (hosts: {})", quote(name), host_names()));
}

std::pair<HostSpec*, InterfaceSpec*> Loader::interface_ref(const Value& value, std::string_view expected) {
  const std::string text = value.scalar(expected);
  const std::size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size() || text.find('.', dot + 1) != std::string::npos) {
    value.wrong(expected);
  }
  HostSpec& host = host_named(value, text.substr(0, dot));
  const std::string iface_name = text.substr(dot + 1);
  for (InterfaceSpec& iface : host.interfaces) {
    if (iface.name == iface_name) {
      return {&host, &iface};
    }
  }
  std::vector<std::string> names;
  for (const InterfaceSpec& iface : host.interfaces) {
    names.push_back(iface.name);
  }
  value.fail(fmt::format("host {} has no interface {} (interfaces: {})", quote(host.name), quote(iface_name),
                         names.empty() ? std::string("none") : join(names)));
}

std::string Loader::link_ends() const {
  std::vector<std::string> ends;
  for (const LinkSpec& link : s_.links) {
    ends.push_back(link.a.describe());
    ends.push_back(link.b.describe());
  }
  return ends.empty() ? std::string("none") : join(ends);
}

std::size_t Loader::link_of(const Value& value, LinkEnd& end) {
  const auto [host, iface] = interface_ref(value, "a link end HOST.INTERFACE like wan.right");
  end = LinkEnd{host->name, iface->name};
  for (std::size_t i = 0; i < s_.links.size(); ++i) {
    const LinkSpec& link = s_.links[i];
    if ((link.a.host == end.host && link.a.interface == end.interface) ||
        (link.b.host == end.host && link.b.interface == end.interface)) {
      return i;
    }
  }
  value.fail(fmt::format("{} is not joined by any link (link ends: {})", end.describe(), link_ends()));
}

void Loader::load_hosts(const Value& list) {
  for (const Value& item : list.items("a list of hosts")) {
    const Map m(item, {"name", "forwarding", "interfaces", "routes", "listen"});
    HostSpec host;
    const Value& name = m.require("name");
    host.name = name.text();
    if (!valid_name(host.name)) {
      name.fail(fmt::format("{} is not a valid host name: 1-15 of A-Z a-z 0-9 _ -", quote(host.name)));
    }
    for (std::size_t i = 0; i < s_.hosts.size(); ++i) {
      if (s_.hosts[i].name == host.name) {
        name.fail(fmt::format("duplicate host name {} (already {})", quote(host.name),
                              host_places_[i].line == 0 ? std::string("a seed topology host")
                                                        : "declared at line " + std::to_string(host_places_[i].line)));
      }
    }
    if (auto v = m.get("forwarding")) {
      host.forwarding = v->boolean();
    }
    if (auto v = m.get("interfaces")) {
      for (const Value& entry : v->items("a list of interfaces")) {
        const Map im(entry, {"name", "kind", "address", "mtu"});
        InterfaceSpec iface;
        const Value& iname = im.require("name");
        iface.name = iname.text();
        if (!valid_name(iface.name)) {
          iname.fail(fmt::format("{} is not a valid interface name: 1-15 of A-Z a-z 0-9 _ -", quote(iface.name)));
        }
        for (const InterfaceSpec& other : host.interfaces) {
          if (other.name == iface.name) {
            iname.fail(fmt::format("duplicate interface name {} on host {}", quote(iface.name), quote(host.name)));
          }
        }
        if (auto k = im.get("kind")) {
          const std::string& kind = k->scalar("ethernet, tun or tap");
          if (kind == "ethernet") {
            iface.kind = InterfaceKind::ethernet;
          } else if (kind == "tun") {
            iface.kind = InterfaceKind::tun;
          } else if (kind == "tap") {
            iface.kind = InterfaceKind::tap;
          } else {
            k->wrong("ethernet, tun or tap");
          }
        }
        const Value& address = im.require("address");
        const std::string& text = address.scalar("an address with prefix like 10.0.0.1/24");
        const std::size_t slash = text.find('/');
        const auto ip = parse_address(std::string_view(text).substr(0, slash));
        std::optional<std::uint8_t> length = std::uint8_t{24};
        if (slash != std::string::npos) {
          length = parse_prefix_length(std::string_view(text).substr(slash + 1));
        }
        if (!ip || !length) {
          address.wrong("an address with prefix like 10.0.0.1/24");
        }
        iface.address = *ip;
        iface.prefix_length = *length;
        if (auto mtu = im.get("mtu")) {
          iface.mtu = mtu->mtu();
        }
        host.interfaces.push_back(iface);
      }
    }
    if (auto v = m.get("routes")) {
      for (const Value& entry : v->items("a list of routes")) {
        const Map rm(entry, {"to", "via", "dev"});
        RouteSpec route;
        const Value& to = rm.require("to");
        const std::string& text = to.scalar("default or a prefix like 10.0.0.0/24");
        if (text != "default") {
          const std::size_t slash = text.find('/');
          const auto ip = parse_address(std::string_view(text).substr(0, slash));
          std::optional<std::uint8_t> length = std::uint8_t{32};
          if (slash != std::string::npos) {
            length = parse_prefix_length(std::string_view(text).substr(slash + 1));
          }
          if (!ip || !length) {
            to.wrong("default or a prefix like 10.0.0.0/24");
          }
          route.prefix = *ip;
          route.prefix_length = *length;
          const std::uint32_t bits = to_host_order(*ip);
          const std::uint32_t mask = prefix_mask(route.prefix_length);
          if ((bits & ~mask) != 0) {
            to.fail(fmt::format("{} has host bits set (did you mean {}/{}?)", text,
                                from_host_order(bits & mask).to_string(), *length));
          }
        }
        if (auto via = rm.get("via")) {
          route.via = via->address();
        }
        const Value& dev = rm.require("dev");
        route.device = dev.text();
        if (!find_interface(host, route.device)) {
          std::vector<std::string> names;
          for (const InterfaceSpec& iface : host.interfaces) {
            names.push_back(iface.name);
          }
          dev.fail(fmt::format("host {} has no interface {} (interfaces: {})", quote(host.name), quote(route.device),
                               names.empty() ? std::string("none") : join(names)));
        }
        host.routes.push_back(route);
      }
    }
    if (auto v = m.get("listen")) {
      const auto ports = v->items("a list of UDP ports like [9000]");
      if (ports.empty()) {
        v->fail("give at least one port, or leave listen out to accept every port");
      }
      for (const Value& port : ports) {
        host.udp_listen.push_back(port.number_as<std::uint16_t>(1, 65535));
      }
    }
    s_.hosts.push_back(std::move(host));
    host_places_.push_back(item.place());
  }
}

void Loader::load_links(const Value& list) {
  std::vector<SourcePlace> link_places(s_.links.size());
  for (const Value& item : list.items("a list of links")) {
    const Map m(item, {"between", "mtu", "delay", "queue", "rate"});
    const Value& between = m.require("between");
    const auto ends = between.items("a list of two interfaces like [left.eth0, wan.left]");
    if (ends.size() != 2) {
      between.fail(fmt::format("expected two interfaces like [left.eth0, wan.left], got {}", ends.size()));
    }
    LinkEnd end[2];
    for (int i = 0; i < 2; ++i) {
      const auto [host, iface] = interface_ref(ends[i], "HOST.INTERFACE like left.eth0");
      if (iface->kind != InterfaceKind::ethernet) {
        ends[i].fail(fmt::format("{}.{} is a {} interface; links join ethernet interfaces", host->name, iface->name,
                                 iface->kind == InterfaceKind::tun ? "tun" : "tap"));
      }
      end[i] = LinkEnd{host->name, iface->name};
    }
    const auto same = [](const LinkEnd& x, const LinkEnd& y) { return x.host == y.host && x.interface == y.interface; };
    if (same(end[0], end[1])) {
      ends[1].fail("a link joins two different interfaces");
    }
    // An existing link with exactly these ends is modified (seed); one sharing a single end is a
    // mistake, since an interface has one cable.
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < s_.links.size(); ++i) {
      const LinkSpec& link = s_.links[i];
      const bool a0 = same(link.a, end[0]) || same(link.b, end[0]);
      const bool a1 = same(link.a, end[1]) || same(link.b, end[1]);
      if (a0 && a1) {
        if (link_places[i].line != 0) {
          between.fail(fmt::format("duplicate link {} <-> {} (already at line {})", end[0].describe(),
                                   end[1].describe(), link_places[i].line));
        }
        index = i;
      } else if (a0 || a1) {
        const LinkEnd& shared = a0 ? end[0] : end[1];
        ends[a0 ? 0 : 1].fail(fmt::format(
            "{} is already joined to {} by {}", shared.describe(), (same(link.a, shared) ? link.b : link.a).describe(),
            link_places[i].line == 0 ? std::string("a seed link")
                                     : "the link at line " + std::to_string(link_places[i].line)));
      }
    }
    const bool is_new = !index;
    if (is_new) {
      LinkSpec link;
      link.a = end[0];
      link.b = end[1];
      const HostSpec* ha = find_host(s_, end[0].host);
      const HostSpec* hb = find_host(s_, end[1].host);
      link.mtu = std::min(find_interface(*ha, end[0].interface)->mtu, find_interface(*hb, end[1].interface)->mtu);
      s_.links.push_back(link);
      link_places.push_back(item.place());
      index = s_.links.size() - 1;
    } else {
      link_places[*index] = item.place();
    }
    LinkSpec& link = s_.links[*index];
    if (auto v = m.get("mtu")) {
      link.mtu = v->mtu();
    }
    // The link MTU is what both interfaces send with; keeping them equal means the routes' egress
    // MTU (and the tunnels' derived underlay MTU) agree with the cable.
    for (const LinkEnd* e : {&link.a, &link.b}) {
      for (HostSpec& host : s_.hosts) {
        if (host.name == e->host) {
          for (InterfaceSpec& iface : host.interfaces) {
            if (iface.name == e->interface) {
              iface.mtu = link.mtu;
            }
          }
        }
      }
    }
    if (auto v = m.get("delay")) {
      link.delay_ns = v->duration();
    }
    if (auto v = m.get("queue")) {
      link.queue_packets = v->number_as<std::size_t>(0, 1'000'000);
    }
    if (auto v = m.get("rate")) {
      link.rate_bps = v->rate();
    }
  }
}

void Loader::load_tunnels(const Value& list) {
  for (const Value& item : list.items("a list of tunnels")) {
    const Map m(item, {"host", "app", "command", "device", "local", "remote", "inner_address", "ttl", "tos", "ecn",
                       "pmtudisc", "underlay_mtu", "pmtu_expiry", "reject_martian_inner", "offload"});
    const Value& host_value = m.require("host");
    HostSpec& host = host_named(host_value, host_value.text());
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < s_.tunnels.size(); ++i) {
      if (s_.tunnels[i].host == host.name) {
        if (tunnel_values_[i]) {
          host_value.fail(fmt::format("duplicate tunnel on host {} (already at line {})", quote(host.name),
                                      tunnel_values_[i]->mark().line + 1));
        }
        index = i;
      }
    }
    if (!index) {
      for (std::string_view key : {"device", "local", "remote"}) {
        if (!m.has(key)) {
          m.missing(key, " (a new tunnel needs device, local and remote)");
        }
      }
      TunnelSpec tunnel;
      tunnel.host = host.name;
      s_.tunnels.push_back(std::move(tunnel));
      underlay_mtu_given_.push_back(false);
      tunnel_values_.push_back(std::nullopt);
      index = s_.tunnels.size() - 1;
    }
    tunnel_values_[*index] = item;
    TunnelSpec& tunnel = s_.tunnels[*index];
    TunnelConfig& c = tunnel.config;
    if (auto v = m.get("app")) {
      // Which apps exist is the runner's to say (projects register their own); the loader checks
      // the name's form and keeps the place for the runner's "unknown app" line.
      const std::string name = v->text();
      if (!AppRegistry::valid_name(name)) {
        v->wrong("an app name (lower-case letters, digits and '-'), e.g. ipip");
      }
      if (name == "kernel-ipip") {
        tunnel.kernel_ipip = true;  // the simulator keeps tunlab's engine in its place
      } else {
        tunnel.app = name;
        tunnel.app_place = v->place().describe();
      }
    }
    if (auto v = m.get("command")) {
      if (m.has("app")) {
        v->fail("give either app or command, not both (a command is app B as a program of its own)");
      }
      tunnel.command = v->text();
      if (tunnel.command.find_first_not_of(" \t") == std::string::npos) {
        v->wrong("a command line, e.g. \"my-vpn --dev {dev} --local {local} --remote {remote}\"");
      }
      for (std::size_t open = tunnel.command.find('{'); open != std::string::npos;
           open = tunnel.command.find('{', open + 1)) {
        const std::size_t close = tunnel.command.find('}', open);
        const std::string name = tunnel.command.substr(open + 1, close == std::string::npos ? 0 : close - open - 1);
        static constexpr std::string_view kPlaceholders[] = {"dev",  "local", "remote",      "inner",
                                                             "host", "mtu",   "scenario_dir"};
        if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), name) == std::end(kPlaceholders)) {
          v->fail(
              fmt::format("unknown placeholder {{{}}} (known: {{dev}} {{local}} {{remote}} {{inner}} {{host}} "
                          "{{mtu}} {{scenario_dir}})",
                          name));
        }
        // tunlab quotes what it substitutes (shell_quote); inside the author's own quotes that
        // quoting would be taken apart, and a folder name could run $(...) or `...`.
        if (const char quote_char = shell_quote_open_at(tunnel.command, open); quote_char != 0) {
          v->fail(
              fmt::format("placeholder {{{}}} inside {} quotes: write it unquoted (tunlab quotes what it "
                          "substitutes), e.g. {{{}}}/x rather than \"{{{}}}/x\"",
                          name, quote_char == '\'' ? "single" : "double", name, name));
        }
      }
    }
    if (auto v = m.get("device")) {
      tunnel.device = v->text();
      const InterfaceSpec* iface = find_interface(host, tunnel.device);
      if (!iface) {
        std::vector<std::string> names;
        for (const InterfaceSpec& i : host.interfaces) {
          names.push_back(i.name);
        }
        v->fail(fmt::format("host {} has no interface {} (interfaces: {})", quote(host.name), quote(tunnel.device),
                            names.empty() ? std::string("none") : join(names)));
      }
      if (iface->kind == InterfaceKind::ethernet) {
        v->fail(fmt::format("{}.{} is an ethernet interface; a tunnel needs a tun or tap interface", host.name,
                            tunnel.device));
      }
      if (!m.has("inner_address")) {
        c.inner_address = iface->address;
      }
    }
    if (auto v = m.get("local")) {
      c.local = v->address();
      const bool ours = std::any_of(host.interfaces.begin(), host.interfaces.end(),
                                    [&](const InterfaceSpec& i) { return i.address == c.local; });
      if (!ours) {
        v->fail(fmt::format("{} is not an address of host {}", c.local.to_string(), quote(host.name)));
      }
    }
    if (auto v = m.get("remote")) {
      c.remote = v->address();
    }
    if (auto v = m.get("inner_address")) {
      c.inner_address = v->address();
    }
    if (auto v = m.get("ttl")) {
      if (v->node().IsScalar() && v->node().Scalar() == "inherit") {
        c.ttl_mode = TtlMode::inherit;
      } else {
        if (v->node().IsScalar() && !parse_unsigned(v->node().Scalar())) {
          v->wrong("a TTL 1..255 or inherit");
        }
        c.ttl_mode = TtlMode::fixed;
        c.ttl = v->number_as<std::uint8_t>(1, 255);
      }
    }
    if (auto v = m.get("tos")) {
      if (v->node().IsScalar() && v->node().Scalar() == "copy") {
        c.tos_mode = TosMode::copy;
      } else {
        if (v->node().IsScalar() && !parse_unsigned(v->node().Scalar())) {
          v->wrong("copy or a TOS byte 0..255");
        }
        c.tos_mode = TosMode::fixed;
        c.tos = v->number_as<std::uint8_t>();
      }
    }
    if (auto v = m.get("ecn")) {
      const std::string& mode = v->scalar("normal or compat");
      if (mode == "normal") {
        c.ecn_mode = EcnMode::normal;
      } else if (mode == "compat") {
        c.ecn_mode = EcnMode::compat;
      } else {
        v->wrong("normal or compat");
      }
    }
    if (auto v = m.get("pmtudisc")) {
      c.pmtudisc = v->boolean();
    }
    if (auto v = m.get("underlay_mtu")) {
      c.underlay_mtu = v->mtu();
      underlay_mtu_given_[*index] = true;
    }
    if (auto v = m.get("pmtu_expiry")) {
      c.pmtu_expiry_ns = v->duration();
    }
    if (auto v = m.get("reject_martian_inner")) {
      c.reject_martian_inner = v->boolean();
    }
    if (auto v = m.get("offload")) {
      s_.tunnels[*index].offload = v->boolean();
    }
  }
}

// A tunnel's underlay MTU is, unless the file says otherwise, the MTU of the interface its host
// routes the remote endpoint through: what a kernel tunnel would start from.
void Loader::derive_underlay_mtus() {
  for (std::size_t i = 0; i < s_.tunnels.size(); ++i) {
    if (underlay_mtu_given_[i]) {
      continue;
    }
    TunnelSpec& tunnel = s_.tunnels[i];
    const HostSpec* host = find_host(s_, tunnel.host);
    const InterfaceSpec* egress = egress_interface(*host, tunnel.config.remote);
    if (egress) {
      tunnel.config.underlay_mtu = egress->mtu;
    }
  }
}

}  // namespace tunlab::scenario::detail
