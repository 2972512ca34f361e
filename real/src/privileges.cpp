// Capability and /dev/net/tun checks for the real backend (root tests skip on them).
#include "tunlab/real/privileges.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace tunlab::real {

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
  const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return std::string("/dev/net/tun not accessible (mode 0600; needs CAP_NET_ADMIN in the owning user namespace): ") +
           std::strerror(errno);
  }
  ::close(fd);
  return std::nullopt;
}

void require_net_admin() {
  if (const auto reason = privilege_skip_reason()) {
    throw std::runtime_error("real backend unavailable: " + *reason);
  }
}

}  // namespace tunlab::real
