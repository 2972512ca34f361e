// The table of expectation kinds (expect_kind.hpp): one row per kind.
#include <array>
#include <cstddef>

#include "tunlab/scenario/expect_kind.hpp"

namespace tunlab::scenario::detail {

const std::vector<const ExpectKindInfo*>& expect_kinds() {
  // The order the loader looks for markers in, and so which two a "mixes X and Y" message names.
  static const std::vector<const ExpectKindInfo*> kinds = {
      &app_received_kind(), &app_icmp_kind(), &app_echo_reply_kind(), &ordering_kind(),
      &hop_kind(),          &dropped_kind(),  &delivered_kind(),      &dropped_at_most_kind(),
  };
  return kinds;
}

const ExpectKindInfo& expect_kind(ExpectKind kind) {
  // Indexed by ExpectKind, found once: expectations are judged and reported per packet.
  static const auto by_kind = [] {
    std::array<const ExpectKindInfo*, kExpectKindCount> out{};
    for (const ExpectKindInfo* info : expect_kinds()) {
      out.at(static_cast<std::size_t>(info->kind)) = info;
    }
    return out;
  }();
  return *by_kind.at(static_cast<std::size_t>(kind));
}

}  // namespace tunlab::scenario::detail
