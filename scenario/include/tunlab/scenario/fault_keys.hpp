// The keys of a fault entry, one parser each: which field of LinkFaultSpec / DeviceFaultSpec a key
// sets and what bounds its value has. Scenario files (the loader's `faults:`), the CLI's
// --fault / --device-fault overrides and the scenario writer all go through this one list, so a
// key means the same everywhere. Each caller reads values from its own input (a YAML value, the
// text after `key=`) through FaultValueReader, with its own places and wording in messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab::scenario {

// One key's value, read by the caller. Every member throws InputError (naming the caller's place
// and the key) when the value is not what is asked, and returns only valid values.
class FaultValueReader {
public:
  virtual ~FaultValueReader() = default;
  // 0..1, finite (scalar_text.hpp's parse_probability).
  virtual double probability() const = 0;
  // An exact duration (parse_duration), at most limits::kMaxDurationNs.
  virtual Nanos duration() const = 0;
  // A number (parse_unsigned) in min..max.
  virtual std::uint64_t number(std::uint64_t min, std::uint64_t max) const = 0;
  // A list of 1-based packet numbers (each parse_unsigned, at least 1).
  virtual std::vector<std::uint64_t> packet_numbers() const = 0;
  // One of `words` (gso_write: accept | einval), returned as its index.
  virtual std::size_t word(const std::vector<std::string_view>& words) const = 0;
};

// The keys of a link fault after `link`, and of a device fault after `device`, in the order the
// loader reads them (and lists them in "allowed:" messages).
const std::vector<std::string_view>& link_fault_keys();
const std::vector<std::string_view>& device_fault_keys();

// Sets the field `key` names from `value`; false (and nothing read) for a key that is not one of
// link_fault_keys() / device_fault_keys().
bool set_link_fault_key(LinkFaultSpec& fault, std::string_view key, const FaultValueReader& value);
bool set_device_fault_key(DeviceFaultSpec& fault, std::string_view key, const FaultValueReader& value);

// One key of a fault as a scenario file or --fault writes it: `text` for a scalar (probabilities
// in the shortest form that reads back as the same double, durations exact: format_duration), or
// `packets` for a packet list (drop_nth, ...).
struct FaultSetting {
  std::string_view key;
  std::string text;
  std::vector<std::uint64_t> packets;
};

// The keys whose values differ from the defaults, in key order: what a writer must write so
// that reading it back gives `fault` again.
std::vector<FaultSetting> link_fault_settings(const LinkFaultSpec& fault);
std::vector<FaultSetting> device_fault_settings(const DeviceFaultSpec& fault);

// What is wrong with a device fault's keys together ("up_at must be later than down_at"), once
// all of them are set; nothing when they agree.
std::optional<std::string> device_fault_conflict(const DeviceFaultSpec& fault);

// The keys joined by `separator`, for messages and option help.
std::string fault_key_list(const std::vector<std::string_view>& keys, std::string_view separator);

}  // namespace tunlab::scenario
