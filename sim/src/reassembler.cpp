#include "tunlab/sim/reassembler.hpp"

#include <algorithm>
#include <cstring>

#include "tunlab/wire/ipv4.hpp"

namespace tunlab::sim {

bool Reassembler::add(Packet&& fragment, Time now, Packet& whole, std::vector<std::uint32_t>& merged_origins) {
  const auto ip = Ipv4View::parse(fragment.bytes());
  if (!ip) {
    return false;
  }
  const Key key{ip->src_raw(), ip->dst_raw(), ip->protocol(), ip->id()};
  auto [it, inserted] = pending_.try_emplace(key);
  Datagram& datagram = it->second;
  if (inserted) {
    datagram.first_seen = now;
    datagram.origin = fragment.origin;
  }
  const std::uint16_t offset = ip->fragment_offset_bytes();
  if (fragment.origin != datagram.origin && std::find(datagram.other_origins.begin(), datagram.other_origins.end(),
                                                      fragment.origin) == datagram.other_origins.end()) {
    datagram.other_origins.push_back(fragment.origin);
  }
  if (!ip->mf()) {
    datagram.have_last = true;
    datagram.total_payload = offset + ip->payload().size();
  }
  datagram.fragments.push_back(std::move(fragment));
  if (!complete(datagram)) {
    return false;
  }
  whole = join(datagram);
  merged_origins = std::move(datagram.other_origins);
  pending_.erase(it);
  return true;
}

bool Reassembler::complete(const Datagram& datagram) const {
  if (!datagram.have_last) {
    return false;
  }
  // Coverage check over fragments sorted by offset.
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (const Packet& f : datagram.fragments) {
    const auto ip = Ipv4View::parse(f.bytes());
    ranges.emplace_back(ip->fragment_offset_bytes(), ip->fragment_offset_bytes() + ip->payload().size());
  }
  std::sort(ranges.begin(), ranges.end());
  std::size_t covered = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin > covered || covered >= datagram.total_payload) {
      break;
    }
    covered = std::max(covered, end);
  }
  return covered >= datagram.total_payload;
}

Packet Reassembler::join(Datagram& datagram) {
  std::sort(datagram.fragments.begin(), datagram.fragments.end(), [](const Packet& a, const Packet& b) {
    return Ipv4View::parse(a.bytes())->fragment_offset_bytes() < Ipv4View::parse(b.bytes())->fragment_offset_bytes();
  });
  const auto first = *Ipv4View::parse(datagram.fragments.front().bytes());
  const std::size_t header = first.header_length();
  Packet whole = Packet::with_size(header + datagram.total_payload);
  whole.origin = datagram.origin;
  std::memcpy(whole.data(), first.bytes().data(), header);
  for (const Packet& f : datagram.fragments) {
    const auto ip = *Ipv4View::parse(f.bytes());
    const ByteView payload = ip.payload();
    // A fragment may reach past the end the last fragment gave (inconsistent or hostile
    // fragments): only the bytes up to that end belong to the datagram.
    const std::size_t offset = ip.fragment_offset_bytes();
    if (offset >= datagram.total_payload) {
      continue;
    }
    const std::size_t length = std::min(payload.size(), datagram.total_payload - offset);
    // Earlier data wins on overlap (RFC 815 leaves the choice open; Linux keeps the first too).
    std::memcpy(whole.data() + header + offset, payload.data(), length);
  }
  ipv4_edit::set_unfragmented(whole.mutable_bytes().first(header), static_cast<std::uint16_t>(whole.size()));
  return whole;
}

void Reassembler::expire(Time now, const std::function<void(std::uint32_t)>& expired) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.first_seen >= kTimeout) {
      expired(it->second.origin);
      for (std::uint32_t origin : it->second.other_origins) {
        expired(origin);
      }
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<std::uint32_t> Reassembler::pending_origins() const {
  std::vector<std::uint32_t> out;
  for (const auto& [key, datagram] : pending_) {
    out.push_back(datagram.origin);
    out.insert(out.end(), datagram.other_origins.begin(), datagram.other_origins.end());
  }
  return out;
}

}  // namespace tunlab::sim
