// The scenario loader (scenario_loader.hpp's entry points build one per file): one member per
// section of the schema, each defined in the file for its section:
//   scenario_loader.cpp    the document's top level (load) and the entry points
//   load_topology.cpp      hosts, links, tunnels, underlay MTUs; host/interface/link references
//   load_faults.cpp        faults and changes
//   load_traffic.cpp       traffic
//   load_expectations.cpp  expectations (what each kind reads: its expect_*.cpp, expect_kind.hpp)
// Internal to tunlab_harness.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "tunlab/scenario/expect_kind.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "yaml_value.hpp"

namespace tunlab::scenario::detail {

// An ExpectLoader so that each kind of expectation reads its own keys (expect_kind.hpp).
class Loader final : public ExpectLoader {
public:
  Loader(const Source& source, Scenario& scenario) : source_(source), s_(scenario) {}

  void load(const YAML::Node& root);

private:
  void load_hosts(const Value& list);
  void load_links(const Value& list);
  void load_tunnels(const Value& list);
  void derive_underlay_mtus();
  void load_faults(const Value& list);
  void load_changes(const Value& list);
  void load_traffic(const Value& list);
  void load_expectations(const Value& list);
  Expectation load_expectation(const Value& item);
  const ExpectKindInfo& expectation_kind(const Value& item) const;
  HeaderMatch load_match(const Value& value);
  const Scenario& scenario_so_far() const override;
  const HostSpec& host_named_at(const Value& value, const std::string& name) override;
  HeaderMatch header_match(const Value& value) override;

  HostSpec& host_named(const Value& value, const std::string& name);
  std::string host_names() const;
  // "host.iface" -> the host and interface, both checked to exist.
  std::pair<HostSpec*, InterfaceSpec*> interface_ref(const Value& value, std::string_view expected);
  // A link end "host.iface": the index of the link it belongs to.
  std::size_t link_of(const Value& value, LinkEnd& end);
  std::string link_ends() const;

  const Source& source_;
  Scenario& s_;
  std::vector<SourcePlace> host_places_;             // where each host was declared (unset for seed hosts)
  std::vector<bool> underlay_mtu_given_;             // per tunnel: underlay_mtu set in the file
  std::vector<std::optional<Value>> tunnel_values_;  // per tunnel: its entry, to check `local`
};

}  // namespace tunlab::scenario::detail
