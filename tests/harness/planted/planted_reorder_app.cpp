#include "planted_reorder_app.hpp"

#include <cstdint>
#include <map>
#include <span>
#include <tuple>

#include "tunlab/wire/ipv4.hpp"

namespace tunlab::planted {

namespace {

// The engine's underlay, minus the fragments the planted bug throws away on receive.
class ReorderBlindUnderlay final : public Underlay {
public:
  ReorderBlindUnderlay(Underlay& underlay, DropReporter& drops) : underlay_(underlay), drops_(drops) {}

  IoResult send(const OuterHeader& outer, Packet&& inner) override { return underlay_.send(outer, std::move(inner)); }
  std::size_t send_batch_size() const override { return underlay_.send_batch_size(); }
  void send_batch(std::span<OuterSend> batch) override { underlay_.send_batch(batch); }
  int poll_fd() const override { return underlay_.poll_fd(); }
  std::size_t buffered() const override { return underlay_.buffered(); }

  UnderlayEvent receive(Packet& out, UnderlayError& error) override {
    while (true) {
      const UnderlayEvent event = underlay_.receive(out, error);
      if (event != UnderlayEvent::packet || !late_fragment(out)) {
        return event;
      }
      drops_.dropped(out, "planted-reorder");
    }
  }

private:
  using Key = std::tuple<std::uint32_t, std::uint32_t, std::uint8_t, std::uint16_t>;

  // The bug: a fragment whose offset is below the highest seen of its datagram is "late".
  bool late_fragment(const Packet& outer_packet) {
    const auto outer = Ipv4View::parse(outer_packet.bytes());
    if (!outer) {
      return false;
    }
    const auto inner = Ipv4View::parse(outer->payload());
    if (!inner || (!inner->mf() && inner->fragment_offset_bytes() == 0)) {
      return false;
    }
    if (highest_.size() > 4096) {
      highest_.clear();  // bounded; a test's datagrams are far fewer
    }
    const Key key{inner->src_raw(), inner->dst_raw(), inner->protocol(), inner->id()};
    const auto [it, inserted] = highest_.try_emplace(key, inner->fragment_offset_bytes());
    if (inserted) {
      return false;
    }
    if (inner->fragment_offset_bytes() < it->second) {
      return true;
    }
    it->second = inner->fragment_offset_bytes();
    return false;
  }

  Underlay& underlay_;
  DropReporter& drops_;
  std::map<Key, std::uint16_t> highest_;
};

class PlantedReorderApp final : public AppB {
public:
  explicit PlantedReorderApp(const AppEnvironment& environment)
      : underlay_(environment.underlay, environment.drops),
        engine_(AppRegistry::builtin().build(
            AppRegistry::kDefaultApp,
            AppEnvironment{environment.config, environment.device, underlay_, environment.drops})) {}

  void on_device_readable(std::int64_t now_ns) override { engine_->on_device_readable(now_ns); }
  void on_underlay_readable(std::int64_t now_ns) override { engine_->on_underlay_readable(now_ns); }
  std::int64_t next_deadline_ns() const override { return engine_->next_deadline_ns(); }
  void on_timer(std::int64_t now_ns) override { engine_->on_timer(now_ns); }
  AppCounters counters(std::int64_t now_ns) const override { return engine_->counters(now_ns); }

private:
  ReorderBlindUnderlay underlay_;  // before engine_, which keeps a reference to it
  std::unique_ptr<AppB> engine_;
};

}  // namespace

std::unique_ptr<AppB> make_planted_reorder_app(const AppEnvironment& environment) {
  return std::make_unique<PlantedReorderApp>(environment);
}

}  // namespace tunlab::planted
