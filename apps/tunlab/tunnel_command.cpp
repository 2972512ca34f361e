// tunlab tunnel: app B for real use, as a daemon in the caller's network namespace. The options
// map one to one onto os::TunnelDaemonOptions; everything else (signals, counters) is
// run_tunnel_daemon's.
#include <arpa/inet.h>

#include <charconv>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "tunlab/os/privileges.hpp"
#include "tunlab/os/tunnel_daemon.hpp"
#include "tunlab/scenario/input_error.hpp"

namespace tunlab::cli {

namespace {

struct TunnelArgs {
  std::string dev;
  std::string local;
  std::string remote;
  bool tap = false;
  std::string mtu = "1480";
  std::string ttl = "64";
  std::string tos = "copy";
  std::string ecn = "normal";
  bool pmtudisc = false;
  std::string offload = "on";
  std::string batched_io = "on";
  bool super_packets = false;
  std::optional<std::string> address;
  std::string app{AppRegistry::kDefaultApp};
  std::string min_pmtu = "552";
  std::string user = "nobody";
};

[[noreturn]] void bad(const std::string& option, const std::string& value, const std::string& why) {
  throw InputError("tunnel: " + option + ": bad value '" + value + "': " + why);
}

// Decimal or 0x-hex, never negative, within [low, high] (the scenario files' number rules).
unsigned parse_number(const std::string& option, const std::string& text, unsigned low, unsigned high) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const char* first = text.data() + (hex ? 2 : 0);
  const char* last = text.data() + text.size();
  unsigned value = 0;
  const auto [end, error] = std::from_chars(first, last, value, hex ? 16 : 10);
  if (text.empty() || error != std::errc() || end != last) {
    bad(option, text, "not a number");
  }
  if (value < low || value > high) {
    bad(option, text, "must be " + std::to_string(low) + ".." + std::to_string(high));
  }
  return value;
}

// Dotted quad only (inet_pton), so "10.1" or "10.0.0.300" are refused rather than guessed at.
Ipv4Address parse_address(const std::string& option, const std::string& text) {
  in_addr addr{};
  if (::inet_pton(AF_INET, text.c_str(), &addr) != 1) {
    bad(option, text, "not an IPv4 address (A.B.C.D)");
  }
  return Ipv4Address(addr.s_addr);
}

os::TunnelDaemonOptions to_daemon_options(const TunnelArgs& a) {
  os::TunnelDaemonOptions o;
  // IFNAMSIZ - 1 characters, and nothing the kernel would refuse or a path could be built from.
  if (a.dev.empty() || a.dev.size() > 15 || a.dev == "." || a.dev == ".." ||
      a.dev.find_first_of("/: \t\n") != std::string::npos) {
    bad("--dev", a.dev, "an interface name is 1..15 characters without '/', ':' or spaces");
  }
  o.device = a.dev;
  o.kind = a.tap ? DeviceKind::tap : DeviceKind::tun;
  TunnelConfig& c = o.config;
  c.local = parse_address("--local", a.local);
  c.remote = parse_address("--remote", a.remote);
  if (c.local == c.remote) {
    bad("--remote", a.remote, "equals --local");
  }
  c.inner_address = c.local;
  c.underlay_mtu = parse_number("--mtu", a.mtu, kMinimumTunnelMtu, 65535 - kOuterHeaderLength) + kOuterHeaderLength;
  if (a.ttl == "inherit") {
    c.ttl_mode = TtlMode::inherit;
    c.ttl = 0;
  } else {
    c.ttl_mode = TtlMode::fixed;
    c.ttl = static_cast<std::uint8_t>(parse_number("--ttl", a.ttl, 1, 255));
  }
  if (a.tos != "copy") {
    c.tos_mode = TosMode::fixed;
    c.tos = static_cast<std::uint8_t>(parse_number("--tos", a.tos, 0, 255));
  }
  c.ecn_mode = a.ecn == "compat" ? EcnMode::compat : EcnMode::normal;
  c.pmtudisc = a.pmtudisc;
  o.app = a.app;
  o.offloads = a.offload == "on";
  o.batched_io = a.batched_io == "on";
  if (a.super_packets) {
    // The mode sends whole super-packets in fragmented outer datagrams: it needs the offloads
    // that produce super-packets, and cannot honour an outer DF on every packet.
    if (!o.offloads) {
      bad("--super-packets", "on", "needs --offload on (the super-packets come from the device's TSO)");
    }
    if (a.pmtudisc) {
      bad("--super-packets", "on", "sends outer fragments, which --pmtudisc (outer DF always) forbids");
    }
    c.super_packets = true;
  }
  if (a.address) {
    const std::string& cidr = *a.address;
    const std::size_t slash = cidr.find('/');
    o.address = parse_address("--address", cidr.substr(0, slash));
    o.address_prefix = slash == std::string::npos ? 24 : parse_number("--address", cidr.substr(slash + 1), 1, 32);
    c.inner_address = *o.address;  // ICMP errors app B writes into the device come from it
  }
  c.min_pmtu = parse_number("--min-pmtu", a.min_pmtu, kMinimumTunnelMtu + kOuterHeaderLength, 65535);
  if (a.user.empty()) {
    bad("--user", a.user, "a user name");
  }
  o.drop_privileges = os::PrivilegeDropOptions{.user = a.user, .seccomp = true};
  return o;
}

}  // namespace

void add_tunnel_command(CLI::App& app, int& exit_code, const AppRegistry& apps) {
  auto a = std::make_shared<TunnelArgs>();
  CLI::App* tunnel = app.add_subcommand(
      "tunnel",
      "Run app B for real: create a TUN/TAP device in this network namespace and carry its IPv4 packets "
      "to --remote in IPIP (RFC 2003) over a raw socket, until SIGINT/SIGTERM. Needs CAP_NET_ADMIN and "
      "CAP_NET_RAW (root). Prints the counters as one JSON line on SIGUSR1 and at exit; exit 0 after a "
      "signal, 2 on bad options or missing privileges.");
  tunnel->add_option("--dev", a->dev, "Device to create, e.g. tun0 (removed again at exit)")->required();
  tunnel->add_option("--local", a->local, "Outer source: an address of this namespace, e.g. 192.168.50.1")->required();
  tunnel->add_option("--remote", a->remote, "Outer destination: the peer running its own tunnel")->required();
  tunnel->add_flag("--tap", a->tap,
                   "TAP instead of TUN: Ethernet frames on the device; app B answers ARP for every address "
                   "and carries only the IPv4 packets");
  tunnel->add_option("--mtu", a->mtu, "Device (tunnel) MTU; the outer packets are 20 bytes larger")
      ->capture_default_str();
  tunnel->add_option("--ttl", a->ttl, "Outer TTL 1..255, or inherit (copy the inner TTL)")->capture_default_str();
  tunnel->add_option("--tos", a->tos, "Outer TOS byte: copy (the inner one, RFC 2003) or a fixed 0..255")
      ->capture_default_str();
  tunnel->add_option("--ecn", a->ecn, "RFC 6040 mode: normal (outer ECN = inner) or compat (outer Not-ECT)")
      ->check(CLI::IsMember({"normal", "compat"}))
      ->capture_default_str();
  tunnel->add_flag("--pmtudisc", a->pmtudisc, "Set the outer DF always (otherwise only when the inner DF is set)");
  tunnel
      ->add_option("--offload", a->offload,
                   "on: TSO reads split into segments here, received TCP segments coalesced into GSO "
                   "writes (each outer packet is still one RFC 2003 packet); off: one packet per read and write")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  tunnel
      ->add_option("--batched-io", a->batched_io,
                   "on: device reads and writes in batches through io_uring, one system call for many packets "
                   "(plain reads and writes where the kernel refuses it); off: one system call per packet")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  tunnel->add_flag("--super-packets", a->super_packets,
                   "Opt-in, both ends: send each TCP super-packet whole in one outer datagram, fragmented at the "
                   "path MTU (outer DF clear even for inner DF; no frag-needed to the inner sender); not RFC 2003 "
                   "strict");
  tunnel->add_option("--address", a->address,
                     "A.B.C.D[/N] (default /24): add this address to the device once the tunnel is ready "
                     "(like `ip addr add`; the device is up already). ICMP errors app B writes come from it");
  tunnel->add_option("--app", a->app, "The app B to run, by registered name (tunlab's own: ipip)")
      ->capture_default_str();
  tunnel
      ->add_option("--min-pmtu", a->min_pmtu,
                   "Never learn a path MTU below this from an ICMP 3/4 (Linux's min_pmtu; a forged "
                   "'MTU 68' cannot shrink the tunnel)")
      ->capture_default_str();
  tunnel
      ->add_option("--user", a->user,
                   "Once the device, the socket and the address exist, run as this user with no "
                   "capabilities, no_new_privs and a seccomp allow-list of system calls")
      ->capture_default_str();
  tunnel->callback([&exit_code, &apps, a] {
    os::TunnelDaemonOptions options = to_daemon_options(*a);
    options.apps = &apps;
    if (const auto reason = os::privilege_skip_reason()) {
      throw InputError("tunnel: real backend unavailable: " + *reason);
    }
    exit_code = os::run_tunnel_daemon(options, std::cout, std::cerr);
  });
}

}  // namespace tunlab::cli
