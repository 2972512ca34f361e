// Decapsulator and ICMP relay: any bytes as a received outer packet, and as an ICMP error's quote.
// Oracles: exactly one outcome per packet (a write of at most the bytes received, or a drop with a
// reason); the relay never learns a path MTU below min_pmtu nor raises the estimate.
#include "fuzz_support.hpp"
#include "tunlab/tunnel/ipip.hpp"

using namespace tunlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  TunnelConfig config;
  config.local = Ipv4Address("18.13.0.91");
  config.remote = Ipv4Address("18.12.0.92");
  config.inner_address = Ipv4Address("10.0.0.22");
  config.reject_martian_inner = in.flag();
  const std::uint8_t selector = in.byte();
  const std::uint16_t mtu = in.u16();
  const std::span<const std::uint8_t> bytes = in.rest();

  TunnelActions out;
  decapsulate(config, Packet(ByteView(bytes.data(), bytes.size())), out);
  if (out.size() != 1) {
    fuzz::oracle_failed("decapsulate: not exactly one action");
  }
  if (out[0].kind == TunnelAction::Kind::write_device && out[0].packet.size() + 20 > bytes.size()) {
    fuzz::oracle_failed("decapsulate: wrote more than the inner packet");
  }

  // The same bytes as the quote of an ICMP error about one of the tunnel's packets (swap the
  // endpoints so that a quote of our own outer header is possible).
  std::swap(config.local, config.remote);
  TunnelState state;
  state.next_outer_id = static_cast<std::uint16_t>(selector * 257);
  state.outer_ids_used = selector;
  const UnderlayError error{Ipv4Address("18.12.0.1"), static_cast<std::uint8_t>(selector & 0x0f),
                            static_cast<std::uint8_t>(selector >> 4), mtu};
  out.clear();
  relay_icmp_error(config, state, error, ByteView(bytes.data(), bytes.size()), 1, out);
  if (state.path_mtu != 0 && (state.path_mtu < config.min_pmtu || state.path_mtu > config.underlay_mtu)) {
    fuzz::oracle_failed("relay: path MTU outside [min_pmtu, underlay_mtu]");
  }
  if (out.size() > 1) {
    fuzz::oracle_failed("relay: more than one action");
  }
  return 0;
}
