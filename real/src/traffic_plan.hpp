// The scenario's traffic as a list of sends at offsets from the start of a real run: the same
// packets the simulator's apps build (same builders, seeds, IDs and echo identifiers), so both
// backends put the same bytes on the wire wherever the kernel does not choose them itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tunlab/real/real_apps.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab::real {

struct PlannedSend {
  std::int64_t at_ns = 0;
  std::string host;
  scenario::TrafficKind kind = scenario::TrafficKind::udp;
  Packet packet;        // the whole IPv4 packet
  SendOptions options;  // udp and echo: what the kernel writes into its own header
};

// Stable-sorted by time. Reads replay pcaps (InputError for a bad one) and throws InputError
// when a sender has no route to the destination (as the simulator does).
std::vector<PlannedSend> plan_traffic(const scenario::Scenario& scenario);

// The address a host's stack picks as source towards `dst`: the address of the interface its
// longest matching route (connected prefixes included) leaves through.
std::optional<Ipv4Address> source_for(const scenario::HostSpec& host, Ipv4Address dst);

// What identifies a packet at the application that receives it, independent of the fields the
// kernel rewrites (IDs, checksums, echo identifiers are kept; they are ours): protocol, port and
// payload for UDP/TCP, type, code and body for ICMP, looking inside IPIP. nullopt for fragments
// and other protocols.
std::optional<std::string> delivery_key(ByteView ip_packet);
std::string udp_delivery_key(std::uint16_t port, ByteView payload);

}  // namespace tunlab::real
