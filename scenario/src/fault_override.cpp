#include "tunlab/scenario/fault_override.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "tunlab/scenario/fault_keys.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/scenario/scalar_text.hpp"
#include "tunlab/scenario/shell_quote.hpp"

namespace tunlab {

namespace {

using scenario::DeviceFaultSpec;
using scenario::LinkFaultSpec;

// One `key=value` of an override; list keys (*_nth) take the bare numbers that follow them too:
// "drop_nth=3,7,loss=0.1" is drop_nth [3, 7] and loss 0.1.
struct Setting {
  std::string key;
  std::vector<std::string> values;
};

class OverrideParser {
public:
  OverrideParser(std::string option, std::string text) : option_(std::move(option)), text_(std::move(text)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("{} '{}': {}", option_, text_, what));
  }

  // Splits "TARGET:k=v,k=v" into the target and its settings.
  std::pair<std::string, std::vector<Setting>> split(std::string_view target_example) const {
    const std::size_t colon = text_.find(':');
    if (colon == std::string::npos || colon == 0) {
      fail(fmt::format("want TARGET:key=value[,key=value...] with TARGET like {}", target_example));
    }
    std::vector<Setting> settings;
    std::string_view rest = std::string_view(text_).substr(colon + 1);
    if (rest.empty()) {
      fail("no key=value after the ':'");
    }
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) {
        if (settings.empty() || !is_list_key(settings.back().key) || item.empty()) {
          fail(fmt::format("'{}' is not key=value", item));
        }
        settings.back().values.emplace_back(item);
      } else {
        settings.push_back({std::string(item.substr(0, eq)), {std::string(item.substr(eq + 1))}});
      }
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
    return {text_.substr(0, colon), settings};
  }

  static bool is_list_key(const std::string& key) { return key.ends_with("_nth"); }

  const std::string& single(const Setting& s) const {
    if (s.values.size() != 1 || s.values[0].empty()) {
      fail(fmt::format("{}: want exactly one value", s.key));
    }
    return s.values[0];
  }

private:
  std::string option_;
  std::string text_;
};

// A key's value on the command line: the text after `key=` (and, for a list key, the bare
// numbers after it), read with the parsers scenario files use, so a value means the same in both.
class TextFaultValue final : public scenario::FaultValueReader {
public:
  TextFaultValue(const OverrideParser& parser, const Setting& setting) : p_(parser), s_(setting) {}

  double probability() const override {
    const std::string& text = p_.single(s_);
    const auto value = scenario::parse_probability(text);
    if (!value) {
      p_.fail(fmt::format("{}: '{}' is not a probability between 0 and 1", s_.key, text));
    }
    return *value;
  }

  // Bounded as scenario durations are, so sums of them never overflow virtual time.
  scenario::Nanos duration() const override {
    const std::string& text = p_.single(s_);
    const auto value = scenario::parse_duration(text);
    if (!value) {
      p_.fail(fmt::format("{}: '{}' is not a duration like 2ms, 250us or 1.5s", s_.key, text));
    }
    if (*value > limits::kMaxDurationNs) {
      p_.fail(fmt::format("{}: '{}' is longer than the {}s a run may last", s_.key, text,
                          limits::kMaxDurationNs / 1'000'000'000));
    }
    return *value;
  }

  std::uint64_t number(std::uint64_t min, std::uint64_t max) const override { return number(p_.single(s_), min, max); }

  std::vector<std::uint64_t> packet_numbers() const override {
    std::vector<std::uint64_t> out;
    for (const std::string& text : s_.values) {
      out.push_back(number(text, 1, UINT64_MAX));
    }
    return out;
  }

  std::size_t word(const std::vector<std::string_view>& words) const override {
    const std::string& text = p_.single(s_);
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (text == words[i]) {
        return i;
      }
    }
    p_.fail(fmt::format("{}: '{}' is not one of {}", s_.key, text, scenario::fault_key_list(words, ", ")));
  }

private:
  std::uint64_t number(const std::string& text, std::uint64_t min, std::uint64_t max) const {
    const auto value = scenario::parse_unsigned(text);
    if (!value || *value < min || *value > max) {
      p_.fail(fmt::format("{}: '{}' is not a number from {} to {}", s_.key, text, min, max));
    }
    return *value;
  }

  const OverrideParser& p_;
  const Setting& s_;
};

bool same_end(const scenario::LinkEnd& a, const scenario::LinkEnd& b) {
  return a.host == b.host && a.interface == b.interface;
}

void apply_link(scenario::Scenario& s, const std::string& text) {
  const OverrideParser p("--fault", text);
  const auto [target, settings] = p.split("wan.right");
  const std::size_t dot = target.find('.');
  const scenario::LinkEnd end{target.substr(0, dot), dot == std::string::npos ? "" : target.substr(dot + 1)};
  const bool is_link_end = std::any_of(s.links.begin(), s.links.end(), [&](const scenario::LinkSpec& l) {
    return same_end(l.a, end) || same_end(l.b, end);
  });
  if (!is_link_end) {
    std::string ends;
    for (const scenario::LinkSpec& l : s.links) {
      ends += fmt::format("{}{}, {}", ends.empty() ? "" : ", ", l.a.describe(), l.b.describe());
    }
    p.fail(fmt::format("no link has an end '{}' (HOST.INTERFACE; this scenario's link ends: {})", target, ends));
  }
  auto found = std::find_if(s.link_faults.begin(), s.link_faults.end(),
                            [&](const LinkFaultSpec& f) { return same_end(f.from, end); });
  if (found == s.link_faults.end()) {
    LinkFaultSpec fresh;
    fresh.from = end;
    fresh.place.file = "--fault";
    s.link_faults.push_back(fresh);
    found = s.link_faults.end() - 1;
  }
  LinkFaultSpec& f = *found;
  for (const Setting& setting : settings) {
    if (!scenario::set_link_fault_key(f, setting.key, TextFaultValue(p, setting))) {
      p.fail(fmt::format("unknown key '{}' (link keys: {})", setting.key,
                         scenario::fault_key_list(scenario::link_fault_keys(), " ")));
    }
  }
}

void apply_device(scenario::Scenario& s, const std::string& text) {
  const OverrideParser p("--device-fault", text);
  const auto [target, settings] = p.split("right.tun0");
  const std::size_t dot = target.find('.');
  const std::string host_name = target.substr(0, dot);
  const std::string device = dot == std::string::npos ? "" : target.substr(dot + 1);
  const scenario::HostSpec* host = scenario::find_host(s, host_name);
  const scenario::InterfaceSpec* iface = host ? scenario::find_interface(*host, device) : nullptr;
  if (iface == nullptr || iface->kind == scenario::InterfaceKind::ethernet) {
    p.fail(fmt::format("no TUN/TAP device '{}' (HOST.DEVICE like right.tun0)", target));
  }
  auto found = std::find_if(s.device_faults.begin(), s.device_faults.end(),
                            [&](const DeviceFaultSpec& f) { return f.host == host_name && f.device == device; });
  if (found == s.device_faults.end()) {
    DeviceFaultSpec fresh;
    fresh.host = host_name;
    fresh.device = device;
    fresh.place.file = "--device-fault";
    s.device_faults.push_back(fresh);
    found = s.device_faults.end() - 1;
  }
  DeviceFaultSpec& f = *found;
  for (const Setting& setting : settings) {
    if (!scenario::set_device_fault_key(f, setting.key, TextFaultValue(p, setting))) {
      p.fail(fmt::format("unknown key '{}' (device keys: {})", setting.key,
                         scenario::fault_key_list(scenario::device_fault_keys(), " ")));
    }
  }
  // Checked once all keys are set: the scenario's own down_at/up_at may be the other half.
  if (const auto why = scenario::device_fault_conflict(f)) {
    p.fail(*why);
  }
}

}  // namespace

std::string FaultOverrides::as_arguments() const {
  std::string out;
  for (const std::string& f : link) {
    out += " --fault " + shell_quote(f);
  }
  for (const std::string& f : device) {
    out += " --device-fault " + shell_quote(f);
  }
  return out;
}

void apply_fault_overrides(scenario::Scenario& s, const FaultOverrides& overrides) {
  for (const std::string& text : overrides.link) {
    apply_link(s, text);
  }
  for (const std::string& text : overrides.device) {
    apply_device(s, text);
  }
}

}  // namespace tunlab
