// Capability and /dev/net/tun checks for the real backend (root tests skip on them).
#include "tunlab/os/privileges.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "tunlab/os/fd.hpp"

namespace tunlab::os {

namespace {

// CapEff from /proc/self/status: avoids a libcap dependency for one bit mask.
std::optional<unsigned long long> effective_capabilities() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      return std::stoull(line.substr(7), nullptr, 16);
    }
  }
  return std::nullopt;
}

// Set when this process is in a user namespace other than the initial one (uid_map is not the
// identity over all 2^32 - 1 ids): capabilities then hold only inside it, so a device node owned
// by an unmapped user (the host's root) opens only if its mode bits let anybody in.
std::optional<std::string> user_namespace_mapping() {
  std::ifstream map("/proc/self/uid_map");
  unsigned long long inside = 0;
  unsigned long long outside = 0;
  unsigned long long count = 0;
  if (!(map >> inside >> outside >> count) || (inside == 0 && outside == 0 && count == 4294967295ULL)) {
    return std::nullopt;
  }
  return std::to_string(inside) + " " + std::to_string(outside) + " " + std::to_string(count);
}

std::string tun_node_mode() {
  struct stat st {};
  if (::stat("/dev/net/tun", &st) != 0) {
    return "missing";
  }
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return std::string("mode ") + mode + ", owner uid " + std::to_string(st.st_uid);
}

}  // namespace

std::optional<std::string> privilege_skip_reason() {
  const std::optional<unsigned long long> caps = effective_capabilities();
  if (!caps) {
    return "cannot read CapEff from /proc/self/status";
  }
  if ((*caps & (1ULL << CAP_NET_ADMIN)) == 0) {
    return "needs CAP_NET_ADMIN (run as root or with the capability) for namespaces and /dev/net/tun";
  }
  if ((*caps & (1ULL << CAP_SYS_ADMIN)) == 0) {
    return "needs CAP_SYS_ADMIN for unshare(CLONE_NEWNET)/setns";
  }
  if ((*caps & (1ULL << CAP_NET_RAW)) == 0) {
    return "needs CAP_NET_RAW for the raw IPPROTO_IPIP socket";
  }
  const Fd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!tun) {
    const std::string error = std::strerror(errno);
    if (const auto mapping = user_namespace_mapping()) {
      return "/dev/net/tun not accessible from this user namespace (uid_map '" + *mapping + "'): " + error + " (" +
             tun_node_mode() +
             "); rootless use needs a device node this user may open, e.g. mode 0666, or a persistent "
             "device made with TUNSETOWNER";
    }
    return "/dev/net/tun not accessible: " + error + " (" + tun_node_mode() + ")";
  }
  return std::nullopt;
}

void require_net_admin() {
  if (const auto reason = privilege_skip_reason()) {
    throw std::runtime_error("real backend unavailable: " + *reason);
  }
}

}  // namespace tunlab::os
