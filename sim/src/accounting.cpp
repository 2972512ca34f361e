#include "tunlab/sim/accounting.hpp"

#include <cstdint>
#include <stdexcept>

namespace tunlab::sim {

std::uint32_t Accounting::inject() {
  fates_.push_back({});
  return static_cast<std::uint32_t>(fates_.size());
}

void Accounting::delivered(std::uint32_t origin) {
  if (origin == 0 || origin > fates_.size()) {
    return;
  }
  if (fates_[origin - 1].fate == Fate::delivered) {
    ++duplicate_deliveries_;
  }
  // A delivered packet stays delivered even if a copy of it (or a fragment of a copy) was dropped.
  set_fate(origin, Fate::delivered, DropReason::in_flight_at_end);
}

void Accounting::set_fate(std::uint32_t origin, Fate fate, DropReason reason, std::uint16_t app_reason) {
  Record& record = fates_[origin - 1];
  if (fate == Fate::dropped && record.fate != Fate::in_flight) {
    return;
  }
  record.fate = fate;
  record.reason = reason;
  record.app_reason = app_reason;
  auto merged = merged_into_.find(origin);
  if (merged != merged_into_.end()) {
    for (std::uint32_t from : merged->second) {
      if (from != origin) {
        set_fate(from, fate, reason, app_reason);
      }
    }
  }
}

void Accounting::merge(std::uint32_t from, std::uint32_t into) {
  if (from == 0 || into == 0 || from == into || from > fates_.size() || into > fates_.size()) {
    return;
  }
  merged_into_[into].push_back(from);
}

void Accounting::dropped(std::uint32_t origin, DropReason reason) {
  drop_events_.add(reason);
  if (origin == 0 || origin > fates_.size()) {
    return;
  }
  set_fate(origin, Fate::dropped, reason);
}

void Accounting::dropped(std::uint32_t origin, std::string_view reason) {
  DropReason known{};
  if (parse_drop_reason(reason, known)) {
    dropped(origin, known);
    return;
  }
  std::size_t index = 0;
  while (index < app_reasons_.size() && app_reasons_[index] != reason) {
    ++index;
  }
  if (index == app_reasons_.size()) {
    if (index + 1 > UINT16_MAX) {
      throw std::length_error("an app B reported more than 65535 different drop reasons");
    }
    app_reasons_.emplace_back(reason);
  }
  if (origin == 0 || origin > fates_.size()) {
    return;
  }
  set_fate(origin, Fate::dropped, DropReason::in_flight_at_end, static_cast<std::uint16_t>(index + 1));
}

void Accounting::settle(std::uint32_t origin, DropReason reason) {
  if (origin != 0 && origin <= fates_.size() && fates_[origin - 1].fate == Fate::in_flight) {
    dropped(origin, reason);
  }
}

std::uint64_t Accounting::delivered_count() const {
  std::uint64_t n = 0;
  for (const Record& r : fates_) {
    n += r.fate == Fate::delivered ? 1 : 0;
  }
  return n;
}

std::map<std::string, std::uint64_t> Accounting::dropped_by_reason() const {
  std::map<std::string, std::uint64_t> out;
  for (const Record& r : fates_) {
    if (r.fate == Fate::dropped) {
      ++out[r.app_reason != 0 ? app_reasons_[r.app_reason - 1] : std::string(to_string(r.reason))];
    }
  }
  return out;
}

std::vector<std::string> Accounting::first_drops(std::size_t limit) const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < fates_.size() && out.size() < limit; ++i) {
    const Record& r = fates_[i];
    if (r.fate == Fate::dropped) {
      out.push_back("#" + std::to_string(i + 1) + " " +
                    (r.app_reason != 0 ? app_reasons_[r.app_reason - 1] : std::string(to_string(r.reason))));
    }
  }
  return out;
}

void Accounting::for_each_dropped(
    const std::function<void(std::uint32_t origin, std::string_view reason)>& each) const {
  for (std::size_t i = 0; i < fates_.size(); ++i) {
    const Record& r = fates_[i];
    if (r.fate == Fate::dropped) {
      each(static_cast<std::uint32_t>(i + 1),
           r.app_reason != 0 ? std::string_view(app_reasons_[r.app_reason - 1]) : to_string(r.reason));
    }
  }
}

std::uint64_t Accounting::dropped_count() const {
  std::uint64_t n = 0;
  for (const Record& r : fates_) {
    n += r.fate == Fate::dropped ? 1 : 0;
  }
  return n;
}

std::vector<std::uint32_t> Accounting::in_flight() const {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < fates_.size(); ++i) {
    if (fates_[i].fate == Fate::in_flight) {
      out.push_back(static_cast<std::uint32_t>(i + 1));
    }
  }
  return out;
}

}  // namespace tunlab::sim
