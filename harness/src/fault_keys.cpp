#include "tunlab/harness/fault_keys.hpp"

namespace tunlab::scenario {

const std::vector<std::string_view>& link_fault_keys() {
  static const std::vector<std::string_view> keys = {"loss",        "duplicate",    "reorder",  "reorder_delay",
                                                     "jitter",      "corrupt",      "drop_nth", "corrupt_nth",
                                                     "reorder_nth", "duplicate_nth"};
  return keys;
}

const std::vector<std::string_view>& device_fault_keys() {
  static const std::vector<std::string_view> keys = {"eagain", "read_buffer", "queue_limit", "down_at", "up_at"};
  return keys;
}

bool set_link_fault_key(LinkFaultSpec& fault, std::string_view key, const FaultValueReader& value) {
  if (key == "loss") {
    fault.loss = value.probability();
  } else if (key == "duplicate") {
    fault.duplicate = value.probability();
  } else if (key == "reorder") {
    fault.reorder = value.probability();
  } else if (key == "reorder_delay") {
    fault.reorder_delay_ns = value.duration();
  } else if (key == "jitter") {
    fault.jitter_ns = value.duration();
  } else if (key == "corrupt") {
    fault.corrupt = value.probability();
  } else if (key == "drop_nth") {
    fault.drop_nth = value.packet_numbers();
  } else if (key == "corrupt_nth") {
    fault.corrupt_nth = value.packet_numbers();
  } else if (key == "reorder_nth") {
    fault.reorder_nth = value.packet_numbers();
  } else if (key == "duplicate_nth") {
    fault.duplicate_nth = value.packet_numbers();
  } else {
    return false;
  }
  return true;
}

bool set_device_fault_key(DeviceFaultSpec& fault, std::string_view key, const FaultValueReader& value) {
  if (key == "eagain") {
    fault.eagain = value.probability();
  } else if (key == "read_buffer") {
    fault.read_buffer = static_cast<std::size_t>(value.number(1, 65535));
  } else if (key == "queue_limit") {
    fault.queue_limit = static_cast<std::size_t>(value.number(0, 1'000'000));
  } else if (key == "down_at") {
    fault.down_at_ns = value.duration();
  } else if (key == "up_at") {
    fault.up_at_ns = value.duration();
  } else {
    return false;
  }
  return true;
}

std::optional<std::string> device_fault_conflict(const DeviceFaultSpec& fault) {
  if (fault.down_at_ns && fault.up_at_ns && *fault.up_at_ns <= *fault.down_at_ns) {
    return "up_at must be later than down_at";
  }
  return std::nullopt;
}

std::string fault_key_list(const std::vector<std::string_view>& keys, std::string_view separator) {
  std::string out;
  for (const std::string_view key : keys) {
    if (!out.empty()) {
      out += separator;
    }
    out += key;
  }
  return out;
}

}  // namespace tunlab::scenario
