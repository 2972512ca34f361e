// The outcome of one non-blocking read or write on a Device or Underlay, shared by every backend
// so the tunnel engine reacts the same way to the simulator and to the kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tunlab {

enum class IoStatus : std::uint8_t {
  ok,
  would_block,      // EAGAIN: nothing to read, or no room to write now
  truncated,        // the packet was longer than the buffer; the rest is gone (TUN read semantics)
  device_down,      // EIO: the interface is administratively down
  invalid_packet,   // EINVAL: e.g. a TUN write whose version nibble is neither 4 nor 6
  message_too_big,  // EMSGSIZE: larger than the path MTU with DF set; see IoResult::mtu
  route_loop,       // the route to the outer destination leads back into the tunnel itself
  no_route,         // ENETUNREACH
  error,            // anything else; see IoResult::sys_errno
};

std::string_view to_string(IoStatus status);

struct IoResult {
  IoStatus status = IoStatus::ok;
  std::size_t bytes = 0;  // bytes moved (for truncated reads: bytes kept)
  std::uint32_t mtu = 0;  // for message_too_big: the path MTU the sender must respect
  int sys_errno = 0;

  bool ok() const { return status == IoStatus::ok; }
};

}  // namespace tunlab
