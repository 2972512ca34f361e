// Every reason a packet can be dropped, anywhere in tunlab. A drop always carries one of these, so
// "injected == delivered + sum(dropped)" can be checked and a summary says why each packet died.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace tunlab {

#define TUNLAB_DROP_REASONS(X)                                        \
  /* encapsulation (docs/rfc2003-ipip.md, encapsulation) */           \
  X(encap_not_ipv4, "encap-not-ipv4")                                 \
  X(encap_malformed_inner, "encap-malformed-inner")                   \
  X(encap_inner_ttl_zero, "encap-inner-ttl-zero")                     \
  X(encap_inner_source_is_endpoint, "encap-inner-source-is-endpoint") \
  X(encap_too_big_df, "encap-too-big-df")                             \
  X(encap_route_loop, "encap-route-loop")                             \
  X(encap_send_failed, "encap-send-failed")                           \
  X(encap_bad_offload, "encap-bad-offload")                           \
  /* decapsulation and security (docs/rfc2003-ipip.md) */             \
  X(decap_not_ipip, "decap-not-ipip")                                 \
  X(decap_malformed_outer, "decap-malformed-outer")                   \
  X(decap_unknown_peer, "decap-unknown-peer")                         \
  X(decap_wrong_destination, "decap-wrong-destination")               \
  X(decap_inner_too_short, "decap-inner-too-short")                   \
  X(decap_inner_bad_version, "decap-inner-bad-version")               \
  X(decap_inner_bad_ihl, "decap-inner-bad-ihl")                       \
  X(decap_inner_bad_checksum, "decap-inner-bad-checksum")             \
  X(decap_inner_truncated, "decap-inner-truncated")                   \
  X(decap_inner_ttl_zero, "decap-inner-ttl-zero")                     \
  X(decap_ecn_ce_not_ect, "decap-ecn-ce-on-not-ect")                  \
  X(decap_inner_martian_source, "decap-inner-martian-source")         \
  X(decap_inner_source_route, "decap-inner-source-route")             \
  X(decap_device_write_failed, "decap-device-write-failed")           \
  /* fragments ending past 65535 bytes (RFC 791), anywhere */         \
  X(fragment_past_64k, "fragment-past-64k")                           \
  /* device (TUN/TAP) */                                              \
  X(device_read_truncated, "device-read-truncated")                   \
  X(device_down, "device-down")                                       \
  X(device_queue_full, "device-queue-full")                           \
  /* host stacks and links */                                         \
  X(no_route, "no-route")                                             \
  X(ttl_exceeded, "ttl-exceeded")                                     \
  X(fragmentation_needed, "fragmentation-needed")                     \
  X(port_unreachable, "port-unreachable")                             \
  X(protocol_unreachable, "protocol-unreachable")                     \
  X(bad_ip_header, "bad-ip-header")                                   \
  X(bad_checksum, "bad-transport-checksum")                           \
  X(not_for_this_host, "not-for-this-host")                           \
  X(martian_source, "martian-source")                                 \
  X(reassembly_incomplete, "reassembly-incomplete")                   \
  X(link_down, "link-down")                                           \
  X(link_loss, "link-loss")                                           \
  X(link_queue_overflow, "link-queue-overflow")                       \
  X(link_corrupted, "link-corrupted")                                 \
  X(arp_unresolved, "arp-unresolved")                                 \
  X(fault_targeted, "fault-targeted")                                 \
  X(in_flight_at_end, "in-flight-at-end")

enum class DropReason : std::uint8_t {
#define TUNLAB_DROP_ENUM(name, text) name,
  TUNLAB_DROP_REASONS(TUNLAB_DROP_ENUM)
#undef TUNLAB_DROP_ENUM
};

inline constexpr std::size_t kDropReasonCount = 0
#define TUNLAB_DROP_COUNT(name, text) +1
    TUNLAB_DROP_REASONS(TUNLAB_DROP_COUNT)
#undef TUNLAB_DROP_COUNT
    ;

// The stable name used in summaries and scenario files ("encap-too-big-df").
std::string_view to_string(DropReason reason);
// Parses a stable name; false if unknown.
bool parse_drop_reason(std::string_view text, DropReason& out);

// Drop counters indexed by reason; a plain array so counting never allocates.
struct DropCounters {
  std::array<std::uint64_t, kDropReasonCount> count{};
  void add(DropReason r, std::uint64_t n = 1) { count[static_cast<std::size_t>(r)] += n; }
  std::uint64_t operator[](DropReason r) const { return count[static_cast<std::size_t>(r)]; }
  std::uint64_t total() const;
};

}  // namespace tunlab
