// Interface, address, route and sysctl configuration inside a Netns, over rtnetlink (libnl-route-3)
// and /proc/sys. Every function opens its netlink socket or /proc file on a thread that is inside
// the target namespace (run_in), so none of them can reach the host's interfaces by mistake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "tunlab/os/netns.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab::os {

// Creates a veth pair: `name` in `ns` and `peer_name` directly in `peer_ns` (IFLA_NET_NS_FD on
// the peer), both down. Both names must be free in their namespaces. A veth disappears with
// either namespace.
void veth_create(const Netns& ns, const std::string& name, const Netns& peer_ns, const std::string& peer_name);
// The kernel's own ipip device `name` in `ns` (like `ip link add NAME type ipip local L remote R
// ttl T tos T`), down. ttl 0 = inherit the inner TTL; tos 1 = inherit the inner TOS. Throws
// std::system_error; EOPNOTSUPP means the kernel has no ipip module.
void ipip_link_create(const Netns& ns, const std::string& name, Ipv4Address local, Ipv4Address remote, std::uint8_t ttl,
                      std::uint8_t tos);
// The interface must exist in `ns`. Throws std::system_error naming the interface otherwise.
void link_set_up(const Netns& ns, const std::string& ifname, bool up);
void link_set_mtu(const Netns& ns, const std::string& ifname, std::size_t mtu);
// txqueuelen (like `ip link set IF txqueuelen N`); on a TUN/TAP device the length of the queue of
// packets the stack hands it and app B has not read yet (tun.c drops beyond it).
void link_set_txqueuelen(const Netns& ns, const std::string& ifname, std::size_t packets);
std::size_t link_mtu(const Netns& ns, const std::string& ifname);
// True when the interface exists in `ns` (used to check a tun device vanished).
bool link_exists(const Netns& ns, const std::string& ifname);
// Adds `address`/`prefix_length` to the interface (like `ip addr add A/N dev IF`).
void address_add(const Netns& ns, const std::string& ifname, Ipv4Address address, unsigned prefix_length);
// Adds a route to the main table: dst/prefix_length (0.0.0.0/0 for default), via `gateway` when
// given, out of `ifname` when given (at least one of them is required).
void route_add(const Netns& ns, Ipv4Address dst, unsigned prefix_length, std::optional<Ipv4Address> gateway,
               const std::optional<std::string>& ifname);

// Writes `value` to /proc/sys/`key` (e.g. "net/ipv4/ip_forward") as seen from inside `ns`.
void sysctl_write(const Netns& ns, const std::string& key, const std::string& value);
std::string sysctl_read(const Netns& ns, const std::string& key);
// net.ipv6.conf.{all,default}.disable_ipv6 = 1 inside `ns`: keeps router solicitations and MLD
// reports out of tun devices so every packet app B reads is one a test or scenario sent.
void disable_ipv6(const Netns& ns);
// net.ipv4.ip_forward = 1 inside `ns`.
void enable_forwarding(const Netns& ns);
// accept_local = 1 and rp_filter = 0 on `ifname` (and rp_filter 0 on "all"), so packets app B
// writes into tun0 with source = tun0's own address (ICMP errors it generates) are not dropped as
// martians.
void allow_local_source(const Netns& ns, const std::string& ifname);

}  // namespace tunlab::os
