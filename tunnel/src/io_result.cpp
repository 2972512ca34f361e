#include "tunlab/tunnel/io_result.hpp"

namespace tunlab {

std::string_view to_string(IoStatus status) {
  switch (status) {
    case IoStatus::ok:
      return "ok";
    case IoStatus::would_block:
      return "would-block";
    case IoStatus::truncated:
      return "truncated";
    case IoStatus::device_down:
      return "device-down";
    case IoStatus::invalid_packet:
      return "invalid-packet";
    case IoStatus::message_too_big:
      return "message-too-big";
    case IoStatus::route_loop:
      return "route-loop";
    case IoStatus::no_route:
      return "no-route";
    case IoStatus::error:
      return "error";
  }
  return "unknown";
}

}  // namespace tunlab
