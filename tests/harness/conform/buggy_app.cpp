#include "buggy_app.hpp"

#include "tunlab/tunnel/tunnel_engine.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab::conform_test {

namespace {

// The device as the engine sees it: oversize datagrams without DF vanish into the drop reporter.
class NoFragmentDevice final : public Device {
public:
  NoFragmentDevice(Device& device, DropReporter& drops, std::size_t tunnel_mtu)
      : device_(device), drops_(drops), tunnel_mtu_(tunnel_mtu) {}
  std::string_view name() const override { return device_.name(); }
  DeviceCapabilities capabilities() const override {
    DeviceCapabilities capabilities = device_.capabilities();
    capabilities.batched_io = false;  // every read goes through read() below
    return capabilities;
  }
  IoResult read(Packet& out) override {
    while (true) {
      const IoResult result = device_.read(out);
      if (!result.ok()) {
        return result;
      }
      const auto ip = Ipv4View::parse(out.bytes());
      if (!ip || ip->df() || out.size() <= tunnel_mtu_) {
        return result;
      }
      drops_.dropped(out, "buggy-too-big");
      out = Packet();
    }
  }
  bool readable() const override { return device_.readable(); }
  IoResult write(ByteView packet) override { return device_.write(packet); }
  IoResult write_packet(Packet&& packet) override { return device_.write_packet(std::move(packet)); }
  int poll_fd() const override { return device_.poll_fd(); }

private:
  Device& device_;
  DropReporter& drops_;
  std::size_t tunnel_mtu_;
};

// The underlay as the engine sees it: every outer header leaves Not-ECT.
class NotEctUnderlay final : public Underlay {
public:
  explicit NotEctUnderlay(Underlay& underlay) : underlay_(underlay) {}
  IoResult send(const OuterHeader& outer, Packet&& inner) override {
    OuterHeader plain = outer;
    plain.tos = static_cast<std::uint8_t>(plain.tos & ~0x03);
    return underlay_.send(plain, std::move(inner));
  }
  UnderlayEvent receive(Packet& out, UnderlayError& error) override { return underlay_.receive(out, error); }
  int poll_fd() const override { return underlay_.poll_fd(); }
  std::size_t buffered() const override { return underlay_.buffered(); }

private:
  Underlay& underlay_;
};

class BuggyApp final : public AppB {
public:
  explicit BuggyApp(const AppEnvironment& env)
      : config_(lax(env.config)),
        device_(env.device, env.drops, env.config.underlay_mtu - kOuterHeaderLength),
        underlay_(env.underlay),
        engine_(config_, device_, underlay_) {
    DropReporter* drops = &env.drops;
    engine_.set_drop_observer(
        [drops](const Packet& packet, DropReason reason) { drops->dropped(packet, to_string(reason)); });
  }
  void on_device_readable(std::int64_t now_ns) override { engine_.on_device_readable(now_ns); }
  void on_underlay_readable(std::int64_t now_ns) override { engine_.on_underlay_readable(now_ns); }
  std::int64_t next_deadline_ns() const override { return engine_.next_deadline_ns(); }
  void on_timer(std::int64_t now_ns) override { engine_.on_timer(now_ns); }
  AppCounters counters(std::int64_t now_ns) const override { return engine_.counters(now_ns); }

private:
  static TunnelConfig lax(TunnelConfig config) {
    config.reject_martian_inner = false;
    return config;
  }
  TunnelConfig config_;
  NoFragmentDevice device_;
  NotEctUnderlay underlay_;
  TunnelEngine engine_;
};

}  // namespace

std::unique_ptr<AppB> make_buggy_app(const AppEnvironment& environment) {
  return std::make_unique<BuggyApp>(environment);
}

}  // namespace tunlab::conform_test
