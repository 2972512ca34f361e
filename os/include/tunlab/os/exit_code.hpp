// How a tunlab process ends, one meaning per code, for the scripts and CI steps that branch on
// it. The command line and the `tunlab tunnel` daemon both answer with these.
#pragma once

namespace tunlab::os {

inline constexpr int kExitOk = 0;      // success: every expectation held
inline constexpr int kExitFailed = 1;  // an expectation failed (or captures differ)
// Bad input or usage, and anything tunlab was asked to do but cannot (an unknown app, a backend
// this machine lacks): the request is at fault, running again unchanged will not help.
inline constexpr int kExitBadInput = 2;
// The system refused: a system call failed (netlink, a device that vanished, a namespace that
// could not be made). The request may be fine; the machine is not.
inline constexpr int kExitSystemFailure = 3;

}  // namespace tunlab::os
