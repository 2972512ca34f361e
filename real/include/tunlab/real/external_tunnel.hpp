// App B as a separate program: a scenario tunnel's `command`, run inside its host's namespace
// (a VPN written in Go or Rust, a script, anything that moves packets between a TUN/TAP device
// and the network). The contract with the program:
//
//   - The runner creates the device beforehand, persistent (TUNSETPERSIST), with the scenario's
//     MTU, address and routes, up; the program attaches to it by name with TUNSETIFF (IFF_TUN or
//     IFF_TAP, IFF_NO_PI) and must not create or configure it.
//   - Traffic starts once every program has attached (the device's carrier comes up: seen over
//     rtnetlink, no sleeping), so a program opens its sockets first and attaches last.
//   - After the traffic, the program gets SIGTERM, and SIGKILL if it has not exited within the
//     stop bound; it is also killed with tunlab (PR_SET_PDEATHSIG). Its stdout goes to stderr.
//   - Placeholders in the command: {dev} {local} {remote} {inner} {host} {mtu} {scenario_dir}
//     (scenario_dir shell-quoted when it needs it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "tunlab/os/fd.hpp"
#include "tunlab/os/netns.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/scenario/tunnel_command.hpp"

namespace tunlab::real {

// Creates a persistent TUN or TAP device `name` in `ns` and lets go of it (no queue attached),
// so a program can attach to it by name. It vanishes with the namespace.
void create_persistent_tun(const os::Netns& ns, const std::string& name, bool tap);

// The command line with its placeholders filled in (shared with the simulator's program runner).
using scenario::expand_tunnel_command;

class ExternalTunnel {
public:
  // Starts `/bin/sh -c "exec COMMAND"` in `ns`, in a process group of its own.
  ExternalTunnel(const os::Netns& ns, std::string host, std::string device, std::string command);
  // stop() if still running.
  ~ExternalTunnel();
  ExternalTunnel(const ExternalTunnel&) = delete;
  ExternalTunnel& operator=(const ExternalTunnel&) = delete;

  // Returns once the device has carrier (the program attached); throws std::runtime_error with
  // the reason if the program exits first or `timeout` passes.
  void wait_attached(std::chrono::milliseconds timeout);
  // The exit status text if the program has already exited ("exited with status 1", "killed by
  // signal 11"), nullopt while it runs.
  std::optional<std::string> exited();
  // SIGTERM to its process group, SIGKILL after `bound`; reaps it.
  void stop(std::chrono::milliseconds bound = std::chrono::milliseconds(2000));

  const std::string& host() const { return host_; }
  const std::string& command() const { return command_; }

private:
  const os::Netns& ns_;
  std::string host_;
  std::string device_;
  std::string command_;
  pid_t pid_ = -1;
  os::Fd pidfd_;
  std::optional<int> status_;  // waitpid status once reaped
};

}  // namespace tunlab::real
