// An app B that is deliberately not tunlab's engine: every outer header gets TTL 7 and TOS 0,
// never DF; ICMP errors from the underlay are counted and never relayed to the inner sender; an
// inner packet that does not fit the underlay MTU is dropped (no fragmentation, no frag-needed).
// It is the worked example of bringing your own app B to tunlab: it uses only the public
// Device/Underlay/AppB interfaces and reports its drops under its own reason names.
#pragma once

#include <cstdint>

#include "tunlab/tunnel/app_b.hpp"

namespace ttl7 {

inline constexpr std::uint8_t kOuterTtl = 7;

class Ttl7Tunnel final : public tunlab::AppB {
public:
  explicit Ttl7Tunnel(const tunlab::AppEnvironment& environment);

  void on_device_readable(std::int64_t now_ns) override;
  void on_underlay_readable(std::int64_t now_ns) override;
  tunlab::AppCounters counters(std::int64_t now_ns) const override;

private:
  void encapsulate(tunlab::Packet&& inner);
  void decapsulate(tunlab::Packet&& outer);

  tunlab::TunnelConfig config_;
  tunlab::Device& device_;
  tunlab::Underlay& underlay_;
  tunlab::DropReporter& drops_;
  std::uint16_t next_id_ = 1;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t icmp_ignored_ = 0;
};

// The factory a registry takes: `apps.add("ttl7", ttl7::make_app)`.
std::unique_ptr<tunlab::AppB> make_app(const tunlab::AppEnvironment& environment);

}  // namespace ttl7
