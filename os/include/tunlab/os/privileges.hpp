// Whether this process can run the real backend: CAP_NET_ADMIN (namespaces, netlink, TUNSETIFF),
// CAP_SYS_ADMIN (unshare/setns) and an openable /dev/net/tun. Root tests skip with the reason.
#pragma once

#include <optional>
#include <string>

namespace tunlab::os {

// nullopt when the real backend can run; otherwise one line saying what is missing. Checks by
// trying (capabilities in the effective set, then opening /dev/net/tun), not by uid.
std::optional<std::string> privilege_skip_reason();
// Throws std::runtime_error with privilege_skip_reason() when it is set.
void require_net_admin();

}  // namespace tunlab::os
