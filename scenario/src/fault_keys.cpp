#include "tunlab/scenario/fault_keys.hpp"

#include <array>
#include <variant>

#include <fmt/format.h>

#include "tunlab/scenario/scalar_text.hpp"

namespace tunlab::scenario {

namespace {

// A count field and the values it accepts.
template <typename Spec>
struct Bounded {
  std::size_t Spec::*field;
  std::uint64_t min;
  std::uint64_t max;
};

// A switch spelled as a word: `off` is the default, `on` sets the field.
template <typename Spec>
struct Switch {
  bool Spec::*field;
  std::string_view off;
  std::string_view on;
};

// Which field a key sets; the field's type says how its value is read and written.
template <typename Spec>
using Field = std::variant<double Spec::*, Nanos Spec::*, std::optional<Nanos> Spec::*, Bounded<Spec>,
                           std::vector<std::uint64_t> Spec::*, Switch<Spec>>;

template <typename Spec>
struct Key {
  std::string_view name;
  Field<Spec> field;
};

// In the order the loader reads them and messages list them.
const std::array<Key<LinkFaultSpec>, 10> kLinkKeys = {{
    {"loss", &LinkFaultSpec::loss},
    {"duplicate", &LinkFaultSpec::duplicate},
    {"reorder", &LinkFaultSpec::reorder},
    {"reorder_delay", &LinkFaultSpec::reorder_delay_ns},
    {"jitter", &LinkFaultSpec::jitter_ns},
    {"corrupt", &LinkFaultSpec::corrupt},
    {"drop_nth", &LinkFaultSpec::drop_nth},
    {"corrupt_nth", &LinkFaultSpec::corrupt_nth},
    {"reorder_nth", &LinkFaultSpec::reorder_nth},
    {"duplicate_nth", &LinkFaultSpec::duplicate_nth},
}};

const std::array<Key<DeviceFaultSpec>, 6> kDeviceKeys = {{
    {"eagain", &DeviceFaultSpec::eagain},
    {"read_buffer", Bounded<DeviceFaultSpec>{&DeviceFaultSpec::read_buffer, 1, 65535}},
    {"queue_limit", Bounded<DeviceFaultSpec>{&DeviceFaultSpec::queue_limit, 0, 1'000'000}},
    {"down_at", &DeviceFaultSpec::down_at_ns},
    {"up_at", &DeviceFaultSpec::up_at_ns},
    {"gso_write", Switch<DeviceFaultSpec>{&DeviceFaultSpec::gso_write_einval, "accept", "einval"}},
}};

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

template <typename Spec, std::size_t N>
std::vector<std::string_view> names(const std::array<Key<Spec>, N>& keys) {
  std::vector<std::string_view> out;
  for (const Key<Spec>& key : keys) {
    out.push_back(key.name);
  }
  return out;
}

template <typename Spec, std::size_t N>
bool set_key(const std::array<Key<Spec>, N>& keys, Spec& spec, std::string_view name, const FaultValueReader& value) {
  for (const Key<Spec>& key : keys) {
    if (key.name != name) {
      continue;
    }
    std::visit(
        Overloaded{
            [&](double Spec::*f) { spec.*f = value.probability(); },
            [&](Nanos Spec::*f) { spec.*f = value.duration(); },
            [&](std::optional<Nanos> Spec::*f) { spec.*f = value.duration(); },
            [&](const Bounded<Spec>& b) { spec.*b.field = static_cast<std::size_t>(value.number(b.min, b.max)); },
            [&](std::vector<std::uint64_t> Spec::*f) { spec.*f = value.packet_numbers(); },
            [&](const Switch<Spec>& w) {
              spec.*w.field = value.word({w.off, w.on}) == 1;
            },
        },
        key.field);
    return true;
  }
  return false;
}

// Every key whose value differs from a default-constructed spec's.
template <typename Spec, std::size_t N>
std::vector<FaultSetting> settings_of(const std::array<Key<Spec>, N>& keys, const Spec& spec) {
  const Spec defaults{};
  std::vector<FaultSetting> out;
  for (const Key<Spec>& key : keys) {
    FaultSetting s{key.name, {}, {}};
    const bool set = std::visit(
        Overloaded{
            // The shortest form that reads back as the same double.
            [&](double Spec::*f) { return spec.*f != defaults.*f && (s.text = fmt::format("{}", spec.*f), true); },
            [&](Nanos Spec::*f) { return spec.*f != defaults.*f && (s.text = format_duration(spec.*f), true); },
            [&](std::optional<Nanos> Spec::*f) {
              return (spec.*f).has_value() && (s.text = format_duration(*(spec.*f)), true);
            },
            [&](const Bounded<Spec>& b) {
              return spec.*b.field != defaults.*b.field && (s.text = fmt::format("{}", spec.*b.field), true);
            },
            [&](std::vector<std::uint64_t> Spec::*f) { return !(spec.*f).empty() && (s.packets = spec.*f, true); },
            [&](const Switch<Spec>& w) {
              return spec.*w.field != defaults.*w.field && (s.text = spec.*w.field ? w.on : w.off, true);
            },
        },
        key.field);
    if (set) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string_view>& link_fault_keys() {
  static const std::vector<std::string_view> keys = names(kLinkKeys);
  return keys;
}

const std::vector<std::string_view>& device_fault_keys() {
  static const std::vector<std::string_view> keys = names(kDeviceKeys);
  return keys;
}

bool set_link_fault_key(LinkFaultSpec& fault, std::string_view key, const FaultValueReader& value) {
  return set_key(kLinkKeys, fault, key, value);
}

bool set_device_fault_key(DeviceFaultSpec& fault, std::string_view key, const FaultValueReader& value) {
  return set_key(kDeviceKeys, fault, key, value);
}

std::vector<FaultSetting> link_fault_settings(const LinkFaultSpec& fault) {
  std::vector<FaultSetting> out = settings_of(kLinkKeys, fault);
  // The delay of a reorder that never happens says nothing.
  if (fault.reorder == 0 && fault.reorder_nth.empty()) {
    std::erase_if(out, [](const FaultSetting& s) { return s.key == "reorder_delay"; });
  }
  return out;
}

std::vector<FaultSetting> device_fault_settings(const DeviceFaultSpec& fault) {
  return settings_of(kDeviceKeys, fault);
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
