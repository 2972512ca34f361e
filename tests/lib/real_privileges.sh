# Sourced by the root test scripts. require_real_privileges exits 77 (ctest's SKIP_RETURN_CODE)
# with the reason when this process cannot make namespaces, open raw sockets or open /dev/net/tun.
require_real_privileges() {
  local cap_eff probe
  cap_eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  ((0x$cap_eff & (1 << 12))) || { echo "SKIP: needs CAP_NET_ADMIN (run as root)"; exit 77; }
  ((0x$cap_eff & (1 << 13))) || { echo "SKIP: needs CAP_NET_RAW for the raw IPIP socket"; exit 77; }
  ((0x$cap_eff & (1 << 21))) || { echo "SKIP: needs CAP_SYS_ADMIN for namespaces"; exit 77; }
  { exec {probe}<>/dev/net/tun; } 2>/dev/null ||
    { echo "SKIP: /dev/net/tun cannot be opened (mode 0600 outside the owning user namespace)"; exit 77; }
  exec {probe}>&-
}
