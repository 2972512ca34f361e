#include "tunlab/tunnel/drop_reason.hpp"

#include <numeric>

namespace tunlab {

namespace {
constexpr std::array<std::string_view, kDropReasonCount> kNames{
#define TUNLAB_DROP_NAME(name, text) text,
    TUNLAB_DROP_REASONS(TUNLAB_DROP_NAME)
#undef TUNLAB_DROP_NAME
};
}  // namespace

std::string_view to_string(DropReason reason) {
  return kNames[static_cast<std::size_t>(reason)];
}

bool parse_drop_reason(std::string_view text, DropReason& out) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) {
      out = static_cast<DropReason>(i);
      return true;
    }
  }
  return false;
}

std::uint64_t DropCounters::total() const {
  return std::accumulate(count.begin(), count.end(), std::uint64_t{0});
}

}  // namespace tunlab
