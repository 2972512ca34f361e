// A tunnel program as app B in the simulator: the scenario's `command:` runs unmodified, as an
// unprivileged process under a seccomp user-notification supervisor. Its TUN device, raw IPIP
// socket, clocks, sleeps, waits and randomness are served from the Device, the Underlay and the
// virtual clock the simulator hands over; everything else runs natively. The program runs only
// while virtual time stands still: every call into the app lets it run until it blocks, so the
// simulator's event queue alone decides the schedule (docs/programs-in-the-simulator.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::program {

struct ProgramSpec {
  std::string host;          // the scenario host, for messages and the random stream
  std::string command_line;  // placeholders already filled in; run by /bin/sh -c "exec ..."
  std::uint64_t seed = 0;    // the run's seed: getrandom and /dev/urandom derive from it
  // The LD_PRELOAD shim (program_shim.cpp: the virtual clock and staged reads); empty: none (the
  // vDSO answers clock reads, every read traps).
  std::filesystem::path shim;
  // When tunlab runs as root, the program runs as this uid/gid (65534, nobody) unless negative.
  int run_as_uid = 65534;
  int run_as_gid = 65534;
  // Wall-clock bound on the program running between two trapped calls that block: a program that
  // never blocks (a busy loop) ends the run with an error instead of hanging it.
  std::chrono::milliseconds watchdog{10'000};
};

// The program did something the simulator cannot give it (a thread, a TCP socket, an ioctl it
// does not model). what() is one line naming the program and the call.
class ProgramRefused : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The program exited, crashed or hung during the run. what() names the program and its status;
// output() is what it wrote on stdout and stderr.
class ProgramEnded : public std::runtime_error {
public:
  ProgramEnded(const std::string& what, std::string output) : std::runtime_error(what), output_(std::move(output)) {}
  const std::string& output() const { return output_; }

private:
  std::string output_;
};

// Starts the program and runs it until it first blocks (at virtual time 0). Throws
// ProgramRefused or ProgramEnded as the run would.
std::unique_ptr<AppB> make_program_app(const ProgramSpec& spec, const AppEnvironment& environment);

// The program shim beside `executable` (tunlab's own binary), or empty when there is none.
std::filesystem::path shim_beside(const std::filesystem::path& executable);

}  // namespace tunlab::program
