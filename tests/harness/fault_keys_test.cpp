// Fault keys (fault_keys.hpp): a scenario file's `faults:` and the CLI's --fault/--device-fault
// give the same spec for the same keys and values, refuse the same values, and an unknown key's
// message lists the keys.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <string_view>
#include <vector>

#include "fault_override.hpp"
#include "tunlab/scenario/fault_keys.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"

namespace tunlab::scenario {
namespace {

Scenario from_file(const std::string& faults) {
  return load_scenario_text("name: keys\nfaults:\n" + faults, "keys.yaml");
}

Scenario from_cli(const std::vector<std::string>& link, const std::vector<std::string>& device = {}) {
  Scenario s = load_scenario_text("name: keys\n", "keys.yaml");
  cli::FaultOverrides overrides;
  overrides.link = link;
  overrides.device = device;
  cli::apply_fault_overrides(s, overrides);
  return s;
}

// An exact decimal: a double-based reader rounds 1.000000001 or refuses it.
TEST(FaultKeys, CliDurationsAreExactAsInFiles) {
  const Scenario file = from_file("  - {link: wan.right, reorder: 0.5, reorder_delay: 1.000000001s}\n");
  const Scenario cli = from_cli({"wan.right:reorder=0.5,reorder_delay=1.000000001s"});
  ASSERT_EQ(file.link_faults.size(), 1u);
  EXPECT_EQ(file.link_faults[0].reorder_delay_ns, 1'000'000'001);
  ASSERT_EQ(cli.link_faults.size(), 1u);
  EXPECT_EQ(cli.link_faults[0].reorder_delay_ns, 1'000'000'001);
}

void expect_same(const LinkFaultSpec& a, const LinkFaultSpec& b) {
  EXPECT_EQ(a.from.describe(), b.from.describe());
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.duplicate, b.duplicate);
  EXPECT_EQ(a.reorder, b.reorder);
  EXPECT_EQ(a.reorder_delay_ns, b.reorder_delay_ns);
  EXPECT_EQ(a.jitter_ns, b.jitter_ns);
  EXPECT_EQ(a.corrupt, b.corrupt);
  EXPECT_EQ(a.drop_nth, b.drop_nth);
  EXPECT_EQ(a.corrupt_nth, b.corrupt_nth);
  EXPECT_EQ(a.reorder_nth, b.reorder_nth);
  EXPECT_EQ(a.duplicate_nth, b.duplicate_nth);
}

void expect_same(const DeviceFaultSpec& a, const DeviceFaultSpec& b) {
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.eagain, b.eagain);
  EXPECT_EQ(a.read_buffer, b.read_buffer);
  EXPECT_EQ(a.queue_limit, b.queue_limit);
  EXPECT_EQ(a.down_at_ns, b.down_at_ns);
  EXPECT_EQ(a.up_at_ns, b.up_at_ns);
  EXPECT_EQ(a.gso_write_einval, b.gso_write_einval);
}

// The message of the InputError `load` throws ("" when it throws none).
template <typename Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(FaultKeys, EveryLinkKeyGivesTheSameSpec) {
  const Scenario file = from_file(
      "  - {link: wan.right, loss: 0.25, duplicate: 0.5, reorder: 0.125, reorder_delay: 2.5ms, jitter: 100ns,\n"
      "     corrupt: 0.001, drop_nth: [3, 7], corrupt_nth: [0x10], reorder_nth: [2], duplicate_nth: [9, 11]}\n");
  const Scenario cli =
      from_cli({"wan.right:loss=0.25,duplicate=0.5,reorder=0.125,reorder_delay=2.5ms,jitter=100ns,"
                "corrupt=0.001,drop_nth=3,7,corrupt_nth=0x10,reorder_nth=2,duplicate_nth=9,11"});
  ASSERT_EQ(file.link_faults.size(), 1u);
  ASSERT_EQ(cli.link_faults.size(), 1u);
  expect_same(file.link_faults[0], cli.link_faults[0]);
  EXPECT_EQ(cli.link_faults[0].corrupt_nth, std::vector<std::uint64_t>{16});
}

TEST(FaultKeys, EveryDeviceKeyGivesTheSameSpec) {
  const Scenario file = from_file(
      "  - {device: right.tun0, eagain: 0.1, read_buffer: 100, queue_limit: 0, down_at: 5ms, up_at: 10.5ms,\n"
      "     gso_write: einval}\n");
  const Scenario cli =
      from_cli({}, {"right.tun0:eagain=0.1,read_buffer=100,queue_limit=0,down_at=5ms,up_at=10.5ms,gso_write=einval"});
  ASSERT_EQ(file.device_faults.size(), 1u);
  ASSERT_EQ(cli.device_faults.size(), 1u);
  expect_same(file.device_faults[0], cli.device_faults[0]);
  EXPECT_EQ(cli.device_faults[0].up_at_ns, 10'500'000);
  EXPECT_TRUE(cli.device_faults[0].gso_write_einval);
}

// What the scenario writer writes (a shrunk scenario's faults), as a `faults:` entry.
std::string as_entry(const std::string& what, const std::vector<FaultSetting>& settings) {
  std::string entry = "  - {" + what;
  for (const FaultSetting& setting : settings) {
    entry += fmt::format(", {}: ", setting.key);
    entry += setting.text.empty() ? fmt::format("[{}]", fmt::join(setting.packets, ", ")) : setting.text;
  }
  return entry + "}\n";
}

std::vector<std::string_view> keys_of(const std::vector<FaultSetting>& settings) {
  std::vector<std::string_view> keys;
  for (const FaultSetting& setting : settings) {
    keys.push_back(setting.key);
  }
  return keys;
}

TEST(FaultKeys, EveryLinkSettingIsWrittenSoThatItReadsBackTheSame) {
  const Scenario original = from_file(
      "  - {link: wan.right, loss: 0.25, duplicate: 0.00001, reorder: 0.125, reorder_delay: 1.000000001s,\n"
      "     jitter: 1500us, corrupt: 0.1, drop_nth: [3, 7], corrupt_nth: [16], reorder_nth: [2], duplicate_nth: "
      "[9]}\n");
  const std::vector<FaultSetting> settings = link_fault_settings(original.link_faults.at(0));
  EXPECT_EQ(keys_of(settings), link_fault_keys());

  const Scenario again = from_file(as_entry("link: wan.right", settings));
  ASSERT_EQ(again.link_faults.size(), 1u);
  expect_same(original.link_faults[0], again.link_faults[0]);
}

TEST(FaultKeys, DefaultsAreNotWrittenNorAReorderDelayWithoutReorder) {
  LinkFaultSpec fault;
  fault.reorder_delay_ns = 7;
  fault.drop_nth = {4};
  EXPECT_EQ(keys_of(link_fault_settings(fault)), std::vector<std::string_view>{"drop_nth"});
  EXPECT_TRUE(device_fault_settings(DeviceFaultSpec{}).empty());
}

TEST(FaultKeys, EveryDeviceSettingIsWrittenSoThatItReadsBackTheSame) {
  const Scenario original = from_file(
      "  - {device: right.tun0, eagain: 0.1, read_buffer: 100, queue_limit: 0, down_at: 5ms, up_at: 10.5ms,\n"
      "     gso_write: einval}\n");
  const std::vector<FaultSetting> settings = device_fault_settings(original.device_faults.at(0));
  EXPECT_EQ(keys_of(settings), device_fault_keys());

  const Scenario again = from_file(as_entry("device: right.tun0", settings));
  ASSERT_EQ(again.device_faults.size(), 1u);
  expect_same(original.device_faults[0], again.device_faults[0]);
}

TEST(FaultKeys, TheKeyListsAreWhatTheSettersTake) {
  for (const std::string_view key : link_fault_keys()) {
    const Scenario file = from_file(fmt::format("  - {{link: wan.right, {}: {}}}\n", key,
                                                key.ends_with("_nth")                       ? "[1]"
                                                : key.ends_with("delay") || key == "jitter" ? "1ms"
                                                                                            : "0.5"));
    EXPECT_EQ(file.link_faults.size(), 1u) << key;
  }
  for (const std::string_view key : device_fault_keys()) {
    const std::string value = key == "eagain"        ? "0.5"
                              : key.ends_with("_at") ? "1ms"
                              : key == "gso_write"   ? "einval"
                                                     : "10";
    EXPECT_EQ(error_of([&] { from_cli({}, {fmt::format("right.tun0:{}={}", key, value)}); }), "") << key;
  }
}

// The bounds live in one place: both readers refuse the same values.
TEST(FaultKeys, BothRefuseTheSameValues) {
  const struct {
    const char* file;
    const char* cli;
  } cases[] = {
      {"{device: right.tun0, read_buffer: 0}", "right.tun0:read_buffer=0"},
      {"{device: right.tun0, read_buffer: 65536}", "right.tun0:read_buffer=65536"},
      {"{device: right.tun0, queue_limit: 1000001}", "right.tun0:queue_limit=1000001"},
      {"{device: right.tun0, down_at: 5ms, up_at: 5ms}", "right.tun0:down_at=5ms,up_at=5ms"},
      {"{device: right.tun0, eagain: nan}", "right.tun0:eagain=nan"},
      {"{device: right.tun0, down_at: 86400.000000001s}", "right.tun0:down_at=86400.000000001s"},
      {"{device: right.tun0, down_at: 1e3ms}", "right.tun0:down_at=1e3ms"},
      {"{device: right.tun0, up_at: 1.ms}", "right.tun0:up_at=1.ms"},
  };
  for (const auto& c : cases) {
    EXPECT_NE(error_of([&] { from_file(fmt::format("  - {}\n", c.file)); }), "") << c.file;
    const std::string cli = error_of([&] { from_cli({}, {c.cli}); });
    EXPECT_TRUE(cli.starts_with(fmt::format("--device-fault '{}': ", c.cli))) << cli;
  }
  EXPECT_NE(error_of([&] { from_file("  - {link: wan.right, drop_nth: [0]}\n"); }), "");
  EXPECT_EQ(error_of([&] { from_cli({"wan.right:drop_nth=0"}); }),
            "--fault 'wan.right:drop_nth=0': drop_nth: '0' is not a number from 1 to 18446744073709551615");
  EXPECT_EQ(error_of([&] { from_cli({"wan.right:jitter=86400.000000001s"}); }),
            "--fault 'wan.right:jitter=86400.000000001s': jitter: '86400.000000001s' is longer than the 86400s a run "
            "may last");
  EXPECT_EQ(error_of([&] { from_cli({"wan.right:jitter=86400s"}); }), "");
}

TEST(FaultKeys, AnUnknownKeyListsTheKeys) {
  EXPECT_EQ(error_of([&] { from_cli({"wan.right:bogus=1"}); }),
            "--fault 'wan.right:bogus=1': unknown key 'bogus' (link keys: loss duplicate reorder reorder_delay "
            "jitter corrupt drop_nth corrupt_nth reorder_nth duplicate_nth)");
  EXPECT_EQ(error_of([&] { from_cli({}, {"right.tun0:bogus=1"}); }),
            "--device-fault 'right.tun0:bogus=1': unknown key 'bogus' (device keys: eagain read_buffer queue_limit "
            "down_at up_at gso_write)");
  EXPECT_EQ(error_of([&] { from_file("  - {link: wan.right, bogus: 1}\n"); }),
            "keys.yaml:3:23: faults[0].bogus: unknown key 'bogus'; allowed: link, loss, duplicate, reorder, "
            "reorder_delay, jitter, corrupt, drop_nth, corrupt_nth, reorder_nth, duplicate_nth");
  EXPECT_EQ(error_of([&] { from_file("  - {device: right.tun0, bogus: 1}\n"); }),
            "keys.yaml:3:26: faults[0].bogus: unknown key 'bogus'; allowed: device, eagain, read_buffer, "
            "queue_limit, down_at, up_at, gso_write");
  // The lists name every key the setters take, and only those.
  LinkFaultSpec link;
  DeviceFaultSpec device;
  struct Refuse final : FaultValueReader {
    double probability() const override { throw InputError("read"); }
    Nanos duration() const override { throw InputError("read"); }
    std::uint64_t number(std::uint64_t, std::uint64_t) const override { throw InputError("read"); }
    std::vector<std::uint64_t> packet_numbers() const override { throw InputError("read"); }
    std::size_t word(const std::vector<std::string_view>&) const override { throw InputError("read"); }
  } refuse;
  for (const std::string_view key : link_fault_keys()) {
    EXPECT_THROW(set_link_fault_key(link, key, refuse), InputError) << key;
  }
  for (const std::string_view key : device_fault_keys()) {
    EXPECT_THROW(set_device_fault_key(device, key, refuse), InputError) << key;
  }
  EXPECT_FALSE(set_link_fault_key(link, "link", refuse));
  EXPECT_FALSE(set_link_fault_key(link, "eagain", refuse));
  EXPECT_FALSE(set_device_fault_key(device, "device", refuse));
  EXPECT_FALSE(set_device_fault_key(device, "loss", refuse));
}

}  // namespace
}  // namespace tunlab::scenario
