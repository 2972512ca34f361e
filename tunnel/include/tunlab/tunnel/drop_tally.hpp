// A DropReporter that counts drops by reason name: what the real backend and the daemon keep for
// an app B, where no per-packet origin accounting exists.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tunlab/tunnel/app_b.hpp"

namespace tunlab {

class DropTally final : public DropReporter {
public:
  void dropped(const Packet& /*packet*/, std::string_view reason) override {
    auto it = by_reason_.find(reason);
    if (it == by_reason_.end()) {
      it = by_reason_.emplace(std::string(reason), 0).first;
    }
    ++it->second;
    ++total_;
  }
  const std::map<std::string, std::uint64_t, std::less<>>& by_reason() const { return by_reason_; }
  std::uint64_t total() const { return total_; }

private:
  std::map<std::string, std::uint64_t, std::less<>> by_reason_;
  std::uint64_t total_ = 0;
};

// The value of counter `name` in `counters`, 0 when the app has no such counter.
inline std::uint64_t counter_or_zero(const AppCounters& counters, std::string_view name) {
  for (const auto& [key, value] : counters) {
    if (key == name) {
      return value;
    }
  }
  return 0;
}

}  // namespace tunlab
