#include "fault_override.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "tunlab/harness/input_error.hpp"
#include "tunlab/harness/input_limits.hpp"

namespace tunlab::cli {

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

  double probability(const Setting& s) const {
    double value = 0;
    const std::string& text = single(s);
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0 || value > 1) {
      fail(fmt::format("{}: '{}' is not a probability between 0 and 1", s.key, text));
    }
    return value;
  }

  std::uint64_t number(const Setting& s, const std::string& text, std::uint64_t min, std::uint64_t max) const {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      fail(fmt::format("{}: '{}' is not a number from {} to {}", s.key, text, min, max));
    }
    return value;
  }

  std::uint64_t number(const Setting& s, std::uint64_t min, std::uint64_t max) const {
    return number(s, single(s), min, max);
  }

  std::vector<std::uint64_t> numbers(const Setting& s) const {
    std::vector<std::uint64_t> out;
    for (const std::string& text : s.values) {
      out.push_back(number(s, text, 1, UINT64_MAX));
    }
    return out;
  }

  // "0" or a decimal with ns|us|ms|s, as in scenario files.
  scenario::Nanos duration(const Setting& s) const {
    const std::string& text = single(s);
    if (text == "0") {
      return 0;
    }
    static constexpr std::pair<std::string_view, double> kUnits[] = {{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    for (const auto& [unit, scale] : kUnits) {
      if (text.size() > unit.size() && text.ends_with(unit)) {
        const std::string_view number = std::string_view(text).substr(0, text.size() - unit.size());
        double value = 0;
        const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
        const double ns = value * scale;
        // Bounded as scenario durations are, so sums of them never overflow virtual time.
        if (error == std::errc() && end == number.data() + number.size() && value >= 0 &&
            ns <= static_cast<double>(limits::kMaxDurationNs) && ns == std::floor(ns)) {
          return static_cast<scenario::Nanos>(ns);
        }
      }
    }
    fail(fmt::format("{}: '{}' is not a duration like 2ms, 250us or 1.5s", s.key, text));
  }

private:
  const std::string& single(const Setting& s) const {
    if (s.values.size() != 1 || s.values[0].empty()) {
      fail(fmt::format("{}: want exactly one value", s.key));
    }
    return s.values[0];
  }

  std::string option_;
  std::string text_;
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
    const std::string& k = setting.key;
    if (k == "loss")
      f.loss = p.probability(setting);
    else if (k == "duplicate")
      f.duplicate = p.probability(setting);
    else if (k == "reorder")
      f.reorder = p.probability(setting);
    else if (k == "corrupt")
      f.corrupt = p.probability(setting);
    else if (k == "reorder_delay")
      f.reorder_delay_ns = p.duration(setting);
    else if (k == "jitter")
      f.jitter_ns = p.duration(setting);
    else if (k == "drop_nth")
      f.drop_nth = p.numbers(setting);
    else if (k == "corrupt_nth")
      f.corrupt_nth = p.numbers(setting);
    else if (k == "reorder_nth")
      f.reorder_nth = p.numbers(setting);
    else if (k == "duplicate_nth")
      f.duplicate_nth = p.numbers(setting);
    else {
      p.fail(
          fmt::format("unknown key '{}' (link keys: loss duplicate reorder reorder_delay jitter corrupt "
                      "drop_nth corrupt_nth reorder_nth duplicate_nth)",
                      k));
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
    const std::string& k = setting.key;
    if (k == "eagain")
      f.eagain = p.probability(setting);
    else if (k == "read_buffer")
      f.read_buffer = p.number(setting, 1, 65535);
    else if (k == "queue_limit")
      f.queue_limit = p.number(setting, 0, 1'000'000);
    else if (k == "down_at")
      f.down_at_ns = p.duration(setting);
    else if (k == "up_at")
      f.up_at_ns = p.duration(setting);
    else {
      p.fail(fmt::format("unknown key '{}' (device keys: eagain read_buffer queue_limit down_at up_at)", k));
    }
  }
  if (f.down_at_ns && f.up_at_ns && *f.up_at_ns <= *f.down_at_ns) {
    p.fail("up_at must be later than down_at");
  }
}

}  // namespace

std::string shell_quote(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("._-/:=,+@").find(c) != std::string_view::npos;
  });
  if (plain) {
    return text;
  }
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

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

void add_fault_options(CLI::App& command, FaultOverrides& overrides) {
  command
      .add_option("--fault", overrides.link,
                  "Link fault LINK:key=value[,key=value] over the scenario's, e.g. wan.right:loss=0.05,reorder=0.1 "
                  "(keys: loss duplicate reorder reorder_delay jitter corrupt drop_nth corrupt_nth reorder_nth "
                  "duplicate_nth; repeatable)")
      ->take_all()
      ->allow_extra_args(false);
  command
      .add_option("--device-fault", overrides.device,
                  "TUN/TAP fault HOST.DEV:key=value[,...], e.g. right.tun0:eagain=0.2 (keys: eagain read_buffer "
                  "queue_limit down_at up_at; repeatable)")
      ->take_all()
      ->allow_extra_args(false);
}

void apply_fault_overrides(scenario::Scenario& s, const FaultOverrides& overrides) {
  for (const std::string& text : overrides.link) {
    apply_link(s, text);
  }
  for (const std::string& text : overrides.device) {
    apply_device(s, text);
  }
}

}  // namespace tunlab::cli
