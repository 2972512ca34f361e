// Scenario files: faults (per link direction and per tun/tap device) and link changes.
#include "scenario_loader_internal.hpp"

#include <limits>

#include <fmt/format.h>

#include "tunlab/scenario/fault_keys.hpp"

namespace tunlab::scenario::detail {

namespace {

// A fault key's value in a scenario file: read as every other value of the file is, so the
// messages name the file, line and field.
class YamlFaultValue final : public FaultValueReader {
public:
  explicit YamlFaultValue(const Value& value) : value_(value) {}
  double probability() const override { return value_.probability(); }
  Nanos duration() const override { return value_.duration(); }
  std::uint64_t number(std::uint64_t min, std::uint64_t max) const override { return value_.number(min, max); }
  std::vector<std::uint64_t> packet_numbers() const override {
    std::vector<std::uint64_t> out;
    for (const Value& n : value_.items("a list of packet numbers like [3, 7]")) {
      out.push_back(n.number(1, std::numeric_limits<std::uint64_t>::max()));
    }
    return out;
  }
  std::size_t word(const std::vector<std::string_view>& words) const override {
    const std::string expected = fault_key_list(words, " or ");
    const std::string& text = value_.scalar(expected);
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (text == words[i]) {
        return i;
      }
    }
    value_.wrong(expected);
  }

private:
  const Value& value_;
};

// The keys a fault entry allows: its target (link or device), then the fault's keys.
std::vector<std::string_view> with_target(std::string_view target, const std::vector<std::string_view>& keys) {
  std::vector<std::string_view> allowed = {target};
  allowed.insert(allowed.end(), keys.begin(), keys.end());
  return allowed;
}

}  // namespace

void Loader::load_faults(const Value& list) {
  std::vector<std::pair<std::string, int>> link_fault_lines;
  for (const Value& item : list.items("a list of faults")) {
    if (!item.node().IsMap()) {
      item.wrong("a mapping with link or device");
    }
    const bool is_link = item.node()["link"].IsDefined();
    const bool is_device = item.node()["device"].IsDefined();
    if (is_link && is_device) {
      item.fail("give either link or device, not both: one fault entry describes one thing");
    }
    if (is_link) {
      const Map m(item, with_target("link", link_fault_keys()));
      LinkFaultSpec fault;
      fault.place = item.place();
      const Value& link = m.require("link");
      link_of(link, fault.from);
      for (const auto& [seen, line] : link_fault_lines) {
        if (seen == fault.from.describe()) {
          link.fail(fmt::format("duplicate: the fault at line {} already covers the direction leaving {}", line,
                                fault.from.describe()));
        }
      }
      link_fault_lines.emplace_back(fault.from.describe(), fault.place.line);
      for (const std::string_view key : link_fault_keys()) {
        if (auto v = m.get(key)) {
          set_link_fault_key(fault, key, YamlFaultValue(*v));
        }
      }
      s_.link_faults.push_back(std::move(fault));
    } else if (is_device) {
      const Map m(item, with_target("device", device_fault_keys()));
      DeviceFaultSpec fault;
      fault.place = item.place();
      const Value& device = m.require("device");
      const auto [host, iface] = interface_ref(device, "a device HOST.INTERFACE like right.tun0");
      if (iface->kind == InterfaceKind::ethernet) {
        device.fail(fmt::format("{}.{} is an ethernet interface; device faults apply to tun and tap devices",
                                host->name, iface->name));
      }
      fault.host = host->name;
      fault.device = iface->name;
      for (const std::string_view key : device_fault_keys()) {
        if (auto v = m.get(key)) {
          set_device_fault_key(fault, key, YamlFaultValue(*v));
        }
      }
      // up_at is read last: a conflict of down_at and up_at (both from this entry) is up_at's.
      if (const auto why = device_fault_conflict(fault)) {
        m.require("up_at").fail(*why);
      }
      s_.device_faults.push_back(std::move(fault));
    } else {
      source_.fail(item.mark(), item.path() + ".link", "missing required field (or device): what the fault applies to");
    }
  }
}

void Loader::load_changes(const Value& list) {
  for (const Value& item : list.items("a list of changes")) {
    const Map m(item, {"at", "link", "mtu", "up"});
    LinkChangeSpec change;
    change.place = item.place();
    change.at_ns = m.require("at").duration();
    link_of(m.require("link"), change.link);
    if (auto v = m.get("mtu")) change.mtu = v->mtu();
    if (auto v = m.get("up")) change.up = v->boolean();
    if (!change.mtu && !change.up) {
      m.missing("mtu", " (or up): a change must change something");
    }
    s_.link_changes.push_back(std::move(change));
  }
}

}  // namespace tunlab::scenario::detail
