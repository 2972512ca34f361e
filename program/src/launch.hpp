// Starting a tunnel program under the filter: its own process group, killed with tunlab
// (PR_SET_PDEATHSIG), unprivileged, no address-space randomisation, stdout and stderr into a
// memory file the supervisor reads, and the filter's notification descriptor handed back.
#pragma once

#include <sys/types.h>

#include <string>

#include "tunlab/program/program_app.hpp"

namespace tunlab::program {

struct Launched {
  pid_t pid = -1;
  int pidfd = -1;     // polls readable once the program has exited
  int listener = -1;  // the seccomp notification descriptor
  int output = -1;    // memfd holding the program's stdout and stderr
  int staging = -1;   // memfd holding the staging area (staging_area.hpp), at kAreaFd in the program
};

// Throws std::runtime_error when the program cannot be started at all.
Launched launch(const ProgramSpec& spec);

// Up to `limit` bytes of the program's output (the last ones when there is more).
std::string read_output(int output, std::size_t limit = 64 * 1024);

}  // namespace tunlab::program
