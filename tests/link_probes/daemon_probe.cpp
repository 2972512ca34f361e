// Links the tunnel daemon from tunlab::os alone: if the os layer ever needs the harness (the
// scenario model, captures, the report), this stops linking, and link_probe_test.sh reads what it
// pulls in with ldd.
#include <iostream>

#include "tunlab/os/tunnel_daemon.hpp"

int main(int argc, char** argv) {
  if (argc > 1) {
    tunlab::os::TunnelDaemonOptions options;
    options.device = argv[1];
    return tunlab::os::run_tunnel_daemon(options, std::cout, std::cerr);
  }
  return 0;
}
