// Scenario files: faults (per link direction and per tun/tap device) and link changes.
#include "scenario_loader_internal.hpp"

#include <limits>

#include <fmt/format.h>

namespace tunlab::scenario::detail {

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
      const Map m(item, {"link", "loss", "duplicate", "reorder", "reorder_delay", "jitter", "corrupt", "drop_nth",
                         "corrupt_nth", "reorder_nth", "duplicate_nth"});
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
      if (auto v = m.get("loss")) fault.loss = v->probability();
      if (auto v = m.get("duplicate")) fault.duplicate = v->probability();
      if (auto v = m.get("reorder")) fault.reorder = v->probability();
      if (auto v = m.get("reorder_delay")) fault.reorder_delay_ns = v->duration();
      if (auto v = m.get("jitter")) fault.jitter_ns = v->duration();
      if (auto v = m.get("corrupt")) fault.corrupt = v->probability();
      for (auto [key, out] :
           {std::pair{"drop_nth", &fault.drop_nth}, std::pair{"corrupt_nth", &fault.corrupt_nth},
            std::pair{"reorder_nth", &fault.reorder_nth}, std::pair{"duplicate_nth", &fault.duplicate_nth}}) {
        if (auto v = m.get(key)) {
          for (const Value& n : v->items("a list of packet numbers like [3, 7]")) {
            out->push_back(n.number(1, std::numeric_limits<std::uint64_t>::max()));
          }
        }
      }
      s_.link_faults.push_back(std::move(fault));
    } else if (is_device) {
      const Map m(item, {"device", "eagain", "read_buffer", "queue_limit", "down_at", "up_at"});
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
      if (auto v = m.get("eagain")) fault.eagain = v->probability();
      if (auto v = m.get("read_buffer")) fault.read_buffer = v->number_as<std::size_t>(1, 65535);
      if (auto v = m.get("queue_limit")) fault.queue_limit = v->number_as<std::size_t>(0, 1'000'000);
      if (auto v = m.get("down_at")) fault.down_at_ns = v->duration();
      if (auto v = m.get("up_at")) {
        fault.up_at_ns = v->duration();
        if (fault.down_at_ns && *fault.up_at_ns <= *fault.down_at_ns) {
          v->fail("up_at must be later than down_at");
        }
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
