// An in-memory Device and a connected pair of Underlays, for unit tests of an app B without a
// network, a simulator or a kernel (the shape of wireguard-go's tun/tuntest): the test pushes
// packets into the device as the host stack would and reads what the app wrote back; what one
// underlay sends, the other receives as a whole IPv4 packet with the outer header it was sent with.
//
//   tunlab::testing::MemoryDevice tun;
//   auto [left, right] = tunlab::testing::memory_underlay_pair();
//   tun.push(tunlab::build_udp(udp));   // the stack hands app B a packet
//   app.on_device_readable(0);
//   ASSERT_EQ(right->pending(), 1u);    // it crossed, encapsulated
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tunlab/tunnel/device.hpp"
#include "tunlab/tunnel/underlay.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab::testing {

class MemoryDevice final : public Device {
public:
  explicit MemoryDevice(std::string name = "tun0", std::size_t mtu = 1500) : name_(std::move(name)) {
    capabilities_.mtu = mtu;
  }
  // A packet the host stack hands the app: the next read() returns it.
  void push(Packet packet) { inbound_.push_back(std::move(packet)); }
  void push(const std::vector<std::uint8_t>& bytes) {
    Packet p;
    p.assign(bytes);
    inbound_.push_back(std::move(p));
  }
  // Every packet the app wrote, in order.
  const std::vector<std::vector<std::uint8_t>>& written() const { return written_; }

  std::string_view name() const override { return name_; }
  DeviceCapabilities capabilities() const override { return capabilities_; }
  IoResult read(Packet& out) override {
    if (inbound_.empty()) {
      return {IoStatus::would_block};
    }
    out = std::move(inbound_.front());
    inbound_.pop_front();
    return {IoStatus::ok, out.size()};
  }
  bool readable() const override { return !inbound_.empty(); }
  IoResult write(ByteView packet) override {
    written_.emplace_back(packet.begin(), packet.end());
    return {IoStatus::ok, packet.size()};
  }

private:
  std::string name_;
  DeviceCapabilities capabilities_;
  std::deque<Packet> inbound_;
  std::vector<std::vector<std::uint8_t>> written_;
};

class MemoryUnderlay final : public Underlay {
public:
  // Sends to the peer's receive queue as one IPv4 packet: the outer header, then `inner`.
  IoResult send(const OuterHeader& outer, Packet&& inner) override {
    Ipv4HeaderFields fields;
    fields.src = outer.src;
    fields.dst = outer.dst;
    fields.protocol = ipproto::kIpip;
    fields.tos = outer.tos;
    fields.ttl = outer.ttl;
    fields.id = outer.id;
    fields.df = outer.df;
    const std::size_t total = inner.size() + 20;
    std::uint8_t* header = inner.push_front(20);
    write_ipv4_header(MutableByteView(header, 20), fields, static_cast<std::uint16_t>(total));
    sent_.emplace_back(inner.bytes().begin(), inner.bytes().end());
    if (auto peer = peer_.lock()) {
      peer->inbound_.push_back(std::move(inner));
    }
    return {IoStatus::ok, total};
  }
  UnderlayEvent receive(Packet& out, UnderlayError& /*error*/) override {
    if (inbound_.empty()) {
      return UnderlayEvent::nothing;
    }
    out = std::move(inbound_.front());
    inbound_.pop_front();
    return UnderlayEvent::packet;
  }
  std::size_t buffered() const override { return inbound_.size(); }
  // A whole IPv4 packet arriving from the network (a crafted one, from anyone).
  void deliver(const std::vector<std::uint8_t>& ip) {
    Packet p;
    p.assign(ip);
    inbound_.push_back(std::move(p));
  }
  std::size_t pending() const { return inbound_.size(); }
  // Every outer packet this end sent, whole.
  const std::vector<std::vector<std::uint8_t>>& sent() const { return sent_; }

private:
  friend std::pair<std::shared_ptr<MemoryUnderlay>, std::shared_ptr<MemoryUnderlay>> memory_underlay_pair();
  std::weak_ptr<MemoryUnderlay> peer_;
  std::deque<Packet> inbound_;
  std::vector<std::vector<std::uint8_t>> sent_;
};

// Two underlays joined back to back: what one sends, the other receives.
inline std::pair<std::shared_ptr<MemoryUnderlay>, std::shared_ptr<MemoryUnderlay>> memory_underlay_pair() {
  auto a = std::make_shared<MemoryUnderlay>();
  auto b = std::make_shared<MemoryUnderlay>();
  a->peer_ = b;
  b->peer_ = a;
  return {a, b};
}

}  // namespace tunlab::testing
