// Staging (staging_area.hpp): before the supervisor lets the program run again it copies the
// packets waiting on the device and the raw socket into the shared area, where the shim's reads
// take them; at the next trapped call it accounts for what the program took and puts the rest
// back in front of their queues, as if they had never left.
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "filter.hpp"
#include "supervisor.hpp"

namespace tunlab::program {

static_assert(staging::kFirstFd == kFirstSimFd && staging::kFirstFd + staging::kFdCount == kLastSimFd + 1,
              "the staging area covers exactly the simulated descriptors");
static_assert(staging::kAreaFd < kFirstSimFd);

namespace {

constexpr int kTunQueue = staging::kTunDevice - 1;
constexpr int kRawQueue = staging::kRawSocket - 1;

}  // namespace

staging::Area* Supervisor::map_staging_area(int fd) {
  void* memory = mmap(nullptr, sizeof(staging::Area), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) {
    return nullptr;  // the program traps every call, as without the shim
  }
  auto* area = new (memory) staging::Area();
  area->magic = staging::kMagic;
  return area;
}

void Supervisor::took_staged(int queue, const Packet& packet, std::size_t taken) {
  ++staged_reads_;
  if (queue == kTunQueue) {
    ++device_reads_;
    const std::size_t kept = taken > vnet_header_ ? std::min(taken - vnet_header_, packet.size()) : 0;
    hold(from_device_, packet.origin, std::vector<std::uint8_t>(packet.data(), packet.data() + kept));
    return;
  }
  ++underlay_receives_;
  const std::size_t header = packet.size() >= 20 ? (packet[0] & 0x0fU) * 4U : packet.size();
  if (packet.size() > header) {
    hold(from_underlay_, packet.origin,
         std::vector<std::uint8_t>(packet.data() + header, packet.data() + packet.size()));
  }
}

void Supervisor::reconcile() {
  if (area_ == nullptr) {
    return;
  }
  for (const int q : {kTunQueue, kRawQueue}) {
    staging::Queue& queue = area_->queues[q];
    std::deque<Packet>& staged = staged_[q];
    // The program wrote `head` and `taken`: believed only as far as what was staged.
    const std::size_t taken = std::min<std::size_t>(queue.head, staged.size());
    for (std::size_t i = 0; i < taken; ++i) {
      took_staged(q, staged[i], std::min<std::size_t>(queue.entries[i].taken, queue.entries[i].length));
    }
    std::deque<Packet>& origin = q == kTunQueue ? unread_tun_ : received_;
    for (std::size_t i = staged.size(); i > taken; --i) {
      origin.push_front(std::move(staged[i - 1]));
    }
    staged.clear();
    queue.head = 0;
    queue.tail = 0;
    queue.known_empty = 0;
  }
}

IoResult Supervisor::read_device(Packet& packet) {
  if (!unread_tun_.empty()) {
    packet = std::move(unread_tun_.front());
    unread_tun_.pop_front();
    IoResult result;
    result.bytes = packet.size();
    return result;
  }
  if (pending_device_error_) {
    const IoResult error = *pending_device_error_;
    pending_device_error_.reset();
    return error;
  }
  return env_.device.read(packet);
}

bool Supervisor::device_readable() const {
  return !unread_tun_.empty() || pending_device_error_.has_value() || env_.device.readable();
}

void Supervisor::stage() {
  if (area_ == nullptr) {
    return;
  }
  area_->realtime_ns = realtime_ns();
  area_->monotonic_ns = monotonic_ns();
  area_->clock_published = 1;
  bool tun = false;
  bool raw = false;
  std::memset(area_->source, 0, sizeof(area_->source));
  std::memset(area_->nonblocking, 0, sizeof(area_->nonblocking));
  for (const auto& [number, file] : files_) {
    const std::size_t slot = static_cast<std::size_t>(number - staging::kFirstFd);
    if (file.kind == FileKind::tun && file.attached) {
      area_->source[slot] = staging::kTunDevice;
      tun = true;
    } else if (file.kind == FileKind::raw_ipip) {
      area_->source[slot] = staging::kRawSocket;
      raw = true;
    }
    area_->nonblocking[slot] = file.nonblocking ? 1 : 0;
  }
  if (tun) {
    stage_queue(kTunQueue);
  }
  if (raw) {
    drain_underlay();
    stage_queue(kRawQueue);
  }
}

void Supervisor::stage_queue(int q) {
  staging::Queue& queue = area_->queues[q];
  std::deque<Packet>& staged = staged_[q];
  std::uint32_t used = 0;
  for (;;) {
    const bool waiting = q == kTunQueue ? device_readable() : !received_.empty();
    if (!waiting) {
      queue.known_empty = 1;
      return;
    }
    if (staged.size() == staging::kEntries || pending_device_error_) {
      return;
    }
    Packet packet;
    if (q == kTunQueue) {
      const IoResult result = read_device(packet);
      if (result.status == IoStatus::would_block) {
        return;  // a fault said no: the program's read traps and hears it from the device
      }
      if (!result.ok() && result.status != IoStatus::truncated) {
        pending_device_error_ = result;  // the program's next read traps and gets it
        return;
      }
    } else {
      packet = std::move(received_.front());
      received_.pop_front();
    }
    // What a read gives: the device's packets behind their virtio_net_hdr with IFF_VNET_HDR.
    const std::vector<std::uint8_t> with_header =
        q == kTunQueue && vnet_header_ != 0 ? as_read(packet) : std::vector<std::uint8_t>();
    const ByteView bytes = with_header.empty() ? packet.bytes() : ByteView(with_header.data(), with_header.size());
    if (bytes.size() > staging::kDataBytes - used) {
      (q == kTunQueue ? unread_tun_ : received_).push_front(std::move(packet));
      return;
    }
    staging::Entry& entry = queue.entries[staged.size()];
    entry.offset = used;
    entry.length = static_cast<std::uint32_t>(bytes.size());
    entry.taken = 0;
    std::memcpy(queue.data + used, bytes.data(), bytes.size());
    used += static_cast<std::uint32_t>(bytes.size());
    staged.push_back(std::move(packet));
    queue.tail = static_cast<std::uint32_t>(staged.size());
  }
}

}  // namespace tunlab::program
