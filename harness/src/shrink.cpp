#include "tunlab/harness/shrink.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace tunlab {

namespace {

// One thing the shrinker may keep or leave out: a targeted packet event on a link direction, or a
// fault setting that has no per-packet form (jitter, and the device faults).
struct Element {
  enum class Kind : std::uint8_t {
    link_event,
    link_jitter,
    device_eagain,
    device_read_buffer,
    device_queue_limit,
    device_down
  };
  Kind kind = Kind::link_event;
  std::size_t fault = 0;  // index into link_faults or device_faults
  LinkFaultKind event = LinkFaultKind::drop;
  std::uint64_t packet = 0;
};

const std::size_t kDefaultQueueLimit = scenario::DeviceFaultSpec{}.queue_limit;
constexpr std::size_t kMaxRuns = 2000;

std::vector<std::uint64_t>& nth_list(scenario::LinkFaultSpec& f, LinkFaultKind kind) {
  switch (kind) {
    case LinkFaultKind::drop:
      return f.drop_nth;
    case LinkFaultKind::corrupt:
      return f.corrupt_nth;
    case LinkFaultKind::reorder:
      return f.reorder_nth;
    case LinkFaultKind::duplicate:
      break;
  }
  return f.duplicate_nth;
}

// Runs the failing seed once more and lists what each faulty link direction did, packet by packet.
std::vector<Element> collect_elements(const Backend& backend, const scenario::Scenario& s, std::uint64_t seed,
                                      const AppRegistry* apps) {
  std::vector<Element> out;
  std::vector<AppliedLinkFault> applied;
  BackendRunOptions options;
  options.seed = seed;
  options.apps = apps;
  options.applied_link_faults = &applied;
  options.digest = false;
  backend.run(s, options);
  for (const AppliedLinkFault& a : applied) {
    out.push_back({Element::Kind::link_event, a.fault, a.kind, a.packet});
  }
  for (std::size_t i = 0; i < s.link_faults.size(); ++i) {
    if (s.link_faults[i].jitter_ns > 0) {
      out.push_back({Element::Kind::link_jitter, i});
    }
  }
  for (std::size_t i = 0; i < s.device_faults.size(); ++i) {
    const scenario::DeviceFaultSpec& d = s.device_faults[i];
    if (d.eagain > 0) out.push_back({Element::Kind::device_eagain, i});
    if (d.read_buffer > 0) out.push_back({Element::Kind::device_read_buffer, i});
    if (d.queue_limit != kDefaultQueueLimit) out.push_back({Element::Kind::device_queue_limit, i});
    if (d.down_at_ns || d.up_at_ns) out.push_back({Element::Kind::device_down, i});
  }
  return out;
}

bool link_fault_empty(const scenario::LinkFaultSpec& f) {
  return f.loss == 0 && f.duplicate == 0 && f.reorder == 0 && f.corrupt == 0 && f.jitter_ns == 0 &&
         f.drop_nth.empty() && f.corrupt_nth.empty() && f.reorder_nth.empty() && f.duplicate_nth.empty();
}

bool device_fault_empty(const scenario::DeviceFaultSpec& d) {
  // gso_write is a setting the shrinker keeps, not a fault it removes: an entry with it is not empty.
  return d.eagain == 0 && d.read_buffer == 0 && d.queue_limit == kDefaultQueueLimit && !d.down_at_ns && !d.up_at_ns &&
         !d.gso_write_einval;
}

// `base` with no random faults left and only the `kept` events and settings.
scenario::Scenario build(const scenario::Scenario& base, const std::vector<Element>& kept) {
  scenario::Scenario s = base;
  for (scenario::LinkFaultSpec& f : s.link_faults) {
    f.loss = f.duplicate = f.reorder = f.corrupt = 0;
    f.jitter_ns = 0;
    f.drop_nth.clear();
    f.corrupt_nth.clear();
    f.reorder_nth.clear();
    f.duplicate_nth.clear();
  }
  for (scenario::DeviceFaultSpec& d : s.device_faults) {
    d.eagain = 0;
    d.read_buffer = 0;
    d.queue_limit = kDefaultQueueLimit;
    d.down_at_ns.reset();
    d.up_at_ns.reset();
  }
  for (const Element& e : kept) {
    switch (e.kind) {
      case Element::Kind::link_event:
        nth_list(s.link_faults[e.fault], e.event).push_back(e.packet);
        break;
      case Element::Kind::link_jitter:
        s.link_faults[e.fault].jitter_ns = base.link_faults[e.fault].jitter_ns;
        break;
      case Element::Kind::device_eagain:
        s.device_faults[e.fault].eagain = base.device_faults[e.fault].eagain;
        break;
      case Element::Kind::device_read_buffer:
        s.device_faults[e.fault].read_buffer = base.device_faults[e.fault].read_buffer;
        break;
      case Element::Kind::device_queue_limit:
        s.device_faults[e.fault].queue_limit = base.device_faults[e.fault].queue_limit;
        break;
      case Element::Kind::device_down:
        s.device_faults[e.fault].down_at_ns = base.device_faults[e.fault].down_at_ns;
        s.device_faults[e.fault].up_at_ns = base.device_faults[e.fault].up_at_ns;
        break;
    }
  }
  for (scenario::LinkFaultSpec& f : s.link_faults) {
    for (auto* list : {&f.drop_nth, &f.corrupt_nth, &f.reorder_nth, &f.duplicate_nth}) {
      std::sort(list->begin(), list->end());
      list->erase(std::unique(list->begin(), list->end()), list->end());
    }
  }
  std::erase_if(s.link_faults, link_fault_empty);
  std::erase_if(s.device_faults, device_fault_empty);
  return s;
}

// Zeller's ddmin: a 1-minimal subset of `elements` for which `fails` holds, given that it holds
// for the whole set.
template <typename Fails>
std::vector<Element> ddmin(std::vector<Element> elements, Fails&& fails) {
  std::size_t n = 2;
  while (elements.size() >= 2) {
    const std::size_t chunk = (elements.size() + n - 1) / n;
    std::vector<std::vector<Element>> subsets;
    for (std::size_t begin = 0; begin < elements.size(); begin += chunk) {
      const std::size_t end = std::min(begin + chunk, elements.size());
      subsets.emplace_back(elements.begin() + static_cast<std::ptrdiff_t>(begin),
                           elements.begin() + static_cast<std::ptrdiff_t>(end));
    }
    bool reduced = false;
    for (const auto& subset : subsets) {
      if (fails(subset)) {
        elements = subset;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && subsets.size() > 2) {
      for (std::size_t skip = 0; skip < subsets.size() && !reduced; ++skip) {
        std::vector<Element> complement;
        for (std::size_t i = 0; i < subsets.size(); ++i) {
          if (i != skip) {
            complement.insert(complement.end(), subsets[i].begin(), subsets[i].end());
          }
        }
        if (fails(complement)) {
          elements = std::move(complement);
          n = std::max<std::size_t>(n - 1, 2);
          reduced = true;
        }
      }
    }
    if (!reduced) {
      if (n >= elements.size()) {
        break;
      }
      n = std::min(elements.size(), n * 2);
    }
  }
  return elements;
}

}  // namespace

std::string first_failure(const RunSummary& summary) {
  for (const ExpectationResult& r : summary.expectations) {
    if (!r.ok) {
      return fmt::format("{}: expected {}, seen {}", r.name, r.expected, r.seen);
    }
  }
  if (!summary.invariant_violations.empty()) {
    return "invariant: " + summary.invariant_violations.front();
  }
  return "";
}

std::string failure_key(const RunSummary& summary) {
  for (const ExpectationResult& r : summary.expectations) {
    if (!r.ok) {
      return r.name;
    }
  }
  return summary.invariant_violations.empty() ? "" : "invariant";
}

std::size_t count_faults(const scenario::Scenario& s) {
  std::size_t n = 0;
  for (const scenario::LinkFaultSpec& f : s.link_faults) {
    n += f.drop_nth.size() + f.corrupt_nth.size() + f.reorder_nth.size() + f.duplicate_nth.size();
    n += (f.loss > 0 ? 1 : 0) + (f.duplicate > 0 ? 1 : 0) + (f.reorder > 0 ? 1 : 0) + (f.corrupt > 0 ? 1 : 0) +
         (f.jitter_ns > 0 ? 1 : 0);
  }
  for (const scenario::DeviceFaultSpec& d : s.device_faults) {
    n += (d.eagain > 0 ? 1 : 0) + (d.read_buffer > 0 ? 1 : 0) + (d.queue_limit != kDefaultQueueLimit ? 1 : 0) +
         (d.down_at_ns || d.up_at_ns ? 1 : 0);
  }
  return n;
}

ShrinkResult shrink_faults(const Backend& backend, const scenario::Scenario& scenario, std::uint64_t seed,
                           const std::string& key, const AppRegistry* apps) {
  ShrinkResult result;
  const std::vector<Element> all = collect_elements(backend, scenario, seed, apps);
  result.runs = 1;
  result.faults_before = count_faults(build(scenario, all));
  std::string last_failure;
  const auto fails = [&](const std::vector<Element>& kept) {
    if (result.runs >= kMaxRuns) {
      return false;  // out of budget: keep what we have, which is known to fail
    }
    ++result.runs;
    BackendRunOptions options;
    options.apps = apps;
    options.seed = seed;
    options.digest = false;
    const RunSummary summary = backend.run(build(scenario, kept), options);
    if (summary.passed() || failure_key(summary) != key) {
      return false;
    }
    last_failure = first_failure(summary);
    return true;
  };
  if (!fails(all)) {
    return result;
  }
  result.reproduced = true;
  // ddmin only moves to a set that failed, so the last failing run is the minimal set's and
  // last_failure describes it.
  const std::vector<Element> minimal = fails({}) ? std::vector<Element>{} : ddmin(all, fails);
  result.minimal = build(scenario, minimal);
  result.faults_after = count_faults(result.minimal);
  result.failure = last_failure;
  return result;
}

}  // namespace tunlab
