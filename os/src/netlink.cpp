// rtnetlink configuration inside a namespace with libnl-route-3, and /proc/sys writes. Each call
// runs on a thread inside the namespace (run_in) and opens its own netlink socket there.
#include "tunlab/os/netlink.hpp"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipip.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "tunlab/os/fd.hpp"

namespace tunlab::os {

namespace {

struct SockFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrPut {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RoutePut {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct NlAddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using SockPtr = std::unique_ptr<nl_sock, SockFree>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrPut>;
using RoutePtr = std::unique_ptr<rtnl_route, RoutePut>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;

[[noreturn]] void fail(const Netns& ns, const std::string& what, int nl_error) {
  throw std::runtime_error("netlink: " + what + " in namespace '" + ns.label() + "': " + nl_geterror(nl_error));
}

// Must be called on a thread inside `ns` (the socket belongs to the caller's namespace).
SockPtr connect_route(const Netns& ns) {
  SockPtr sock(nl_socket_alloc());
  if (!sock) {
    throw std::bad_alloc();
  }
  if (const int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    fail(ns, "connect NETLINK_ROUTE", err);
  }
  return sock;
}

LinkPtr get_link(const Netns& ns, nl_sock* sock, const std::string& ifname) {
  rtnl_link* link = nullptr;
  if (const int err = rtnl_link_get_kernel(sock, 0, ifname.c_str(), &link); err < 0) {
    fail(ns, "find interface '" + ifname + "'", err);
  }
  return LinkPtr(link);
}

void change_link(const Netns& ns, const std::string& ifname, const std::string& what,
                 void (*apply)(rtnl_link*, std::size_t), std::size_t value) {
  run_in(ns, [&] {
    SockPtr sock = connect_route(ns);
    LinkPtr link = get_link(ns, sock.get(), ifname);
    LinkPtr change(rtnl_link_alloc());
    apply(change.get(), value);
    if (const int err = rtnl_link_change(sock.get(), link.get(), change.get(), 0); err < 0) {
      fail(ns, what + " on '" + ifname + "'", err);
    }
  });
}

NlAddrPtr ipv4_nl_addr(Ipv4Address address, unsigned prefix_length) {
  const std::uint32_t raw = static_cast<std::uint32_t>(address);  // network byte order
  NlAddrPtr a(nl_addr_build(AF_INET, &raw, sizeof raw));
  if (!a) {
    throw std::bad_alloc();
  }
  nl_addr_set_prefixlen(a.get(), static_cast<int>(prefix_length));
  return a;
}

}  // namespace

void veth_create(const Netns& ns, const std::string& name, const Netns& peer_ns, const std::string& peer_name) {
  run_in(ns, [&] {
    SockPtr sock = connect_route(ns);
    LinkPtr veth(rtnl_link_veth_alloc());
    if (!veth) {
      throw std::bad_alloc();
    }
    rtnl_link_set_name(veth.get(), name.c_str());
    rtnl_link* peer = rtnl_link_veth_get_peer(veth.get());
    rtnl_link_set_name(peer, peer_name.c_str());
    // The kernel creates the peer directly in peer_ns; it never exists in ours or the host's.
    rtnl_link_set_ns_fd(peer, peer_ns.fd());
    rtnl_link_put(peer);
    if (const int err = rtnl_link_add(sock.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
      fail(ns, "create veth '" + name + "' with peer '" + peer_name + "' in '" + peer_ns.label() + "'", err);
    }
  });
}

void ipip_link_create(const Netns& ns, const std::string& name, Ipv4Address local, Ipv4Address remote, std::uint8_t ttl,
                      std::uint8_t tos) {
  run_in(ns, [&] {
    SockPtr sock = connect_route(ns);
    LinkPtr link(rtnl_link_ipip_alloc());
    if (!link) {
      throw std::bad_alloc();
    }
    rtnl_link_set_name(link.get(), name.c_str());
    // libnl takes addresses in network byte order.
    rtnl_link_ipip_set_local(link.get(), htonl(to_host_order(local)));
    rtnl_link_ipip_set_remote(link.get(), htonl(to_host_order(remote)));
    rtnl_link_ipip_set_ttl(link.get(), ttl);
    rtnl_link_ipip_set_tos(link.get(), tos);
    rtnl_link_ipip_set_pmtudisc(link.get(), 0);
    if (const int err = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
      fail(ns, "create ipip device '" + name + "'", err);
    }
  });
}

void link_set_up(const Netns& ns, const std::string& ifname, bool up) {
  change_link(
      ns, ifname, up ? "set up" : "set down",
      [](rtnl_link* change, std::size_t want_up) {
        if (want_up != 0) {
          rtnl_link_set_flags(change, IFF_UP);
        } else {
          rtnl_link_unset_flags(change, IFF_UP);
        }
      },
      up ? 1 : 0);
}

void link_set_mtu(const Netns& ns, const std::string& ifname, std::size_t mtu) {
  change_link(
      ns, ifname, "set mtu " + std::to_string(mtu),
      [](rtnl_link* change, std::size_t value) { rtnl_link_set_mtu(change, static_cast<unsigned>(value)); }, mtu);
}

void link_set_txqueuelen(const Netns& ns, const std::string& ifname, std::size_t packets) {
  change_link(
      ns, ifname, "set txqueuelen " + std::to_string(packets),
      [](rtnl_link* change, std::size_t value) { rtnl_link_set_txqlen(change, static_cast<unsigned>(value)); },
      packets);
}

std::size_t link_mtu(const Netns& ns, const std::string& ifname) {
  return run_in(ns, [&] {
    SockPtr sock = connect_route(ns);
    return static_cast<std::size_t>(rtnl_link_get_mtu(get_link(ns, sock.get(), ifname).get()));
  });
}

bool link_exists(const Netns& ns, const std::string& ifname) {
  return run_in(ns, [&] {
    SockPtr sock = connect_route(ns);
    rtnl_link* link = nullptr;
    const int err = rtnl_link_get_kernel(sock.get(), 0, ifname.c_str(), &link);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
      return false;
    }
    if (err < 0) {
      fail(ns, "look up interface '" + ifname + "'", err);
    }
    rtnl_link_put(link);
    return true;
  });
}

void address_add(const Netns& ns, const std::string& ifname, Ipv4Address address, unsigned prefix_length) {
  run_in(ns, [&] {
    SockPtr sock = connect_route(ns);
    LinkPtr link = get_link(ns, sock.get(), ifname);
    AddrPtr addr(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link.get()));
    rtnl_addr_set_family(addr.get(), AF_INET);
    NlAddrPtr local = ipv4_nl_addr(address, prefix_length);
    rtnl_addr_set_local(addr.get(), local.get());
    rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(prefix_length));
    if (const int err = rtnl_addr_add(sock.get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
      fail(ns, "add address " + address.to_string() + "/" + std::to_string(prefix_length) + " to '" + ifname + "'",
           err);
    }
  });
}

void route_add(const Netns& ns, Ipv4Address dst, unsigned prefix_length, std::optional<Ipv4Address> gateway,
               const std::optional<std::string>& ifname) {
  if (!gateway && !ifname) {
    throw std::invalid_argument("route_add: needs a gateway or an interface");
  }
  run_in(ns, [&] {
    SockPtr sock = connect_route(ns);
    RoutePtr route(rtnl_route_alloc());
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    rtnl_route_set_scope(route.get(), gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    NlAddrPtr dst_addr = ipv4_nl_addr(dst, prefix_length);
    rtnl_route_set_dst(route.get(), dst_addr.get());
    rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
    NlAddrPtr gw_addr;
    if (gateway) {
      gw_addr = ipv4_nl_addr(*gateway, 32);
      rtnl_route_nh_set_gateway(nh, gw_addr.get());
    }
    if (ifname) {
      LinkPtr link = get_link(ns, sock.get(), *ifname);
      rtnl_route_nh_set_ifindex(nh, rtnl_link_get_ifindex(link.get()));
    }
    rtnl_route_add_nexthop(route.get(), nh);
    if (const int err = rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
      fail(ns, "add route " + dst.to_string() + "/" + std::to_string(prefix_length), err);
    }
  });
}

void sysctl_write(const Netns& ns, const std::string& key, const std::string& value) {
  run_in(ns, [&] {
    // /proc/sys/net resolves against the opening thread's namespace.
    const std::string path = "/proc/sys/" + key;
    const Fd fd =
        Fd::checked(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open " + path + " in namespace '" + ns.label() + "'");
    const ssize_t n = ::write(fd.get(), value.data(), value.size());
    const int err = errno;
    if (n != static_cast<ssize_t>(value.size())) {
      throw_errno("write '" + value + "' to " + path + " in namespace '" + ns.label() + "'", n < 0 ? err : EIO);
    }
  });
}

std::string sysctl_read(const Netns& ns, const std::string& key) {
  return run_in(ns, [&] {
    const std::string path = "/proc/sys/" + key;
    const Fd fd =
        Fd::checked(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open " + path + " in namespace '" + ns.label() + "'");
    char buffer[256];
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    std::string value(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    return value;
  });
}

void disable_ipv6(const Netns& ns) {
  sysctl_write(ns, "net/ipv6/conf/all/disable_ipv6", "1");
  sysctl_write(ns, "net/ipv6/conf/default/disable_ipv6", "1");
}

void enable_forwarding(const Netns& ns) {
  sysctl_write(ns, "net/ipv4/ip_forward", "1");
}

void allow_local_source(const Netns& ns, const std::string& ifname) {
  // The kernel uses max(conf/all, conf/IF) for rp_filter, so both must be 0.
  sysctl_write(ns, "net/ipv4/conf/all/rp_filter", "0");
  sysctl_write(ns, "net/ipv4/conf/" + ifname + "/rp_filter", "0");
  sysctl_write(ns, "net/ipv4/conf/" + ifname + "/accept_local", "1");
}

}  // namespace tunlab::os
