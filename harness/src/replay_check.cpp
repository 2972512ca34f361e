#include "tunlab/harness/replay_check.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace tunlab {

namespace {
bool same(ByteView a, const std::vector<std::uint8_t>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}
}  // namespace

ReplayCheck::ReplayCheck(const std::filesystem::path& pcap, std::uint64_t count, std::size_t look_ahead)
    : reader_(pcap), count_(count), look_ahead_(look_ahead) {}

void ReplayCheck::arrived(std::uint32_t origin, ByteView ip) {
  if (origin != 0) {
    arrived_with_origin(origin, ip);
  } else {
    arrived_in_order(ip);
  }
}

void ReplayCheck::arrived_with_origin(std::uint32_t origin, ByteView ip) {
  while (read_ < origin) {
    const auto record = reader_.next();
    if (!record) {
      return;
    }
    ++read_;
    if (read_ == origin && std::equal(ip.begin(), ip.end(), record->bytes.begin(), record->bytes.end())) {
      ++identical_;
      return;
    }
    pending_.emplace(read_, std::vector<std::uint8_t>(record->bytes.begin(), record->bytes.end()));
  }
  const auto it = pending_.find(origin);
  if (it != pending_.end() && same(ip, it->second)) {
    ++identical_;
    pending_.erase(it);
  }
}

void ReplayCheck::arrived_in_order(ByteView ip) {
  // The first record after the last match that this packet equals; the records skipped on the
  // way were lost (an arrival can no longer match them without breaking the order).
  for (auto it = pending_.upper_bound(matched_); it != pending_.end(); ++it) {
    if (same(ip, it->second)) {
      ++identical_;
      matched_ = it->first;
      pending_.erase(pending_.begin(), std::next(it));
      return;
    }
  }
  while (read_ - matched_ < look_ahead_) {
    const auto record = reader_.next();
    if (!record) {
      break;
    }
    ++read_;
    if (std::equal(ip.begin(), ip.end(), record->bytes.begin(), record->bytes.end())) {
      ++identical_;
      matched_ = read_;
      pending_.clear();
      return;
    }
    pending_.emplace(read_, std::vector<std::uint8_t>(record->bytes.begin(), record->bytes.end()));
  }
  // Equal to no record within the look-ahead after the last match: a packet the pcap did not
  // hold, one out of order, or one after more losses than the look-ahead.
}

ExpectationResult ReplayCheck::result() const {
  ExpectationResult r;
  r.name = "replayed packets byte-identical at right-tun0";
  r.ok = identical_ == count_;
  r.expected = fmt::format("{} identical packets", count_);
  r.seen = fmt::format("{} identical packets", identical_);
  return r;
}

void ReplayCheck::hop(std::int64_t /*at_ns*/, const std::string& /*label*/, bool outgoing, std::uint32_t origin,
                      ByteView ip) {
  if (!outgoing) {
    arrived(origin, ip);
  }
}

}  // namespace tunlab
