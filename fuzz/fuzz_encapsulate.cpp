// Encapsulator: any bytes as a packet read from tun0, under fuzzer-chosen configuration and path
// MTU. Oracles: every action is a send that fits the tunnel MTU, an ICMP error for the device, or
// a drop with a reason; a send's fragment offsets never wrap.
#include "fuzz_support.hpp"
#include "tunlab/tunnel/ipip.hpp"

using namespace tunlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  TunnelConfig config;
  config.local = Ipv4Address("18.12.0.92");
  config.remote = Ipv4Address("18.13.0.91");
  config.inner_address = Ipv4Address("10.0.0.12");
  const std::uint8_t flags = in.byte();
  config.ttl_mode = (flags & 1) ? TtlMode::inherit : TtlMode::fixed;
  config.tos_mode = (flags & 2) ? TosMode::fixed : TosMode::copy;
  config.ecn_mode = (flags & 4) ? EcnMode::compat : EcnMode::normal;
  config.pmtudisc = (flags & 8) != 0;
  config.tos = in.byte();
  config.underlay_mtu = 88 + in.u16() % (65535 - 88);
  TunnelState state;
  state.path_mtu = (flags & 16) ? 88 + in.u16() % 2000 : 0;
  state.next_outer_id = in.u16();
  const std::span<const std::uint8_t> bytes = in.rest();

  const std::size_t mtu = tunnel_mtu(config, state, 0);
  TunnelActions out;
  encapsulate(config, state, Packet(ByteView(bytes.data(), bytes.size())), 0, out);
  if (out.empty()) {
    fuzz::oracle_failed("encapsulate: no action at all");
  }
  std::size_t sends = 0;
  for (const TunnelAction& action : out) {
    if (action.kind == TunnelAction::Kind::send_outer) {
      ++sends;
      if (action.packet.size() > mtu) {
        fuzz::oracle_failed("encapsulate: a send larger than the tunnel MTU");
      }
      const auto ip = Ipv4View::parse(action.packet.bytes());
      if (!ip || ip->fragment_offset_bytes() + ip->total_length() > 0xffff) {
        fuzz::oracle_failed("encapsulate: a send that is not a well-formed IPv4 packet");
      }
    }
  }
  if (sends > 0 && out.size() != sends) {
    fuzz::oracle_failed("encapsulate: sent and also dropped or answered");
  }
  return 0;
}
