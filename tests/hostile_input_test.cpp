// Hostile input never wins (issue 12): each defect found by fuzzing and by hand, pinned by a test
// that failed before its fix. Bad files end in one printable line naming the file (InputError, the
// CLI's exit 2); hostile packets end delivered or dropped with a named reason, and the accounting
// invariant holds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tunlab/capture/capture.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/sim/reassembler.hpp"
#include "tunlab/sim/scenario_runner.hpp"
#include "tunlab/tunnel/ipip.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab {
namespace {

namespace fs = std::filesystem;

// ---- helpers --------------------------------------------------------------------------------

std::uint16_t checksum(const std::vector<std::uint8_t>& bytes, std::size_t begin, std::size_t end) {
  std::uint32_t sum = 0;
  for (std::size_t i = begin; i < end; i += 2) {
    sum += static_cast<std::uint32_t>(bytes[i] << 8) | (i + 1 < end ? bytes[i + 1] : 0u);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum);
}

struct Ip {
  const char* src = "10.0.0.12";
  const char* dst = "10.0.0.22";
  std::uint8_t protocol = 17;
  std::uint16_t id = 0x4242;
  bool df = false;
  bool mf = false;
  std::size_t offset = 0;                     // bytes, a multiple of 8
  std::size_t payload = 8;                    // bytes after the header (zeros unless given)
  std::optional<std::uint16_t> total{};       // default 20 + payload
  std::vector<std::uint8_t> payload_bytes{};  // when set, the payload
};

std::vector<std::uint8_t> packet(const Ip& spec) {
  std::vector<std::uint8_t> p(20 + spec.payload, 0);
  p[0] = 0x45;
  const std::uint16_t total = spec.total.value_or(static_cast<std::uint16_t>(p.size()));
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[4] = static_cast<std::uint8_t>(spec.id >> 8);
  p[5] = static_cast<std::uint8_t>(spec.id);
  const std::uint16_t flags =
      static_cast<std::uint16_t>((spec.df ? 0x4000 : 0) | (spec.mf ? 0x2000 : 0) | ((spec.offset / 8) & 0x1fff));
  p[6] = static_cast<std::uint8_t>(flags >> 8);
  p[7] = static_cast<std::uint8_t>(flags);
  p[8] = 64;
  p[9] = spec.protocol;
  const std::uint32_t src = Ipv4Address(spec.src).host_order();
  const std::uint32_t dst = Ipv4Address(spec.dst).host_order();
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    p[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  const std::uint16_t sum = checksum(p, 0, 20);
  p[10] = static_cast<std::uint8_t>(sum >> 8);
  p[11] = static_cast<std::uint8_t>(sum);
  std::copy(spec.payload_bytes.begin(), spec.payload_bytes.end(), p.begin() + 20);
  return p;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  for (std::uint8_t b : bytes) {
    out += fmt::format("{:02x}", b);
  }
  return out;
}

// A UDP header + payload without checksum (0 = none), `length` bytes in all.
std::vector<std::uint8_t> udp_segment(std::size_t length) {
  std::vector<std::uint8_t> s(length, 0x5a);
  s[0] = 0x9c;
  s[1] = 0x40;  // 40000
  s[2] = 0x23;
  s[3] = 0x28;  // 9000
  s[4] = static_cast<std::uint8_t>(length >> 8);
  s[5] = static_cast<std::uint8_t>(length);
  s[6] = 0;
  s[7] = 0;
  return s;
}

std::string seed_scenario(const std::string& body) {
  return "name: hostile\ntopology: seed\n" + body;
}

RunSummary run_text(const std::string& text) {
  const scenario::Scenario s = scenario::load_scenario_text(text, "hostile.yaml");
  return sim::run_scenario(s, {});
}

std::uint64_t dropped_total(const RunSummary& summary) {
  std::uint64_t total = 0;
  for (const auto& [reason, count] : summary.dropped) {
    total += count;
  }
  return total;
}

void expect_every_packet_accounted(const RunSummary& summary) {
  EXPECT_TRUE(summary.invariant_violations.empty())
      << (summary.invariant_violations.empty() ? "" : summary.invariant_violations.front());
  EXPECT_EQ(summary.injected, summary.delivered + dropped_total(summary));
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

bool printable_one_line(const std::string& line) {
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return false;
    }
  }
  return true;
}

class TempDir {
public:
  TempDir() : path_(fs::temp_directory_path() / fmt::format("tunlab-hostile-{}", ::getpid())) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path file(const std::string& name, const std::string& contents) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << contents;
    return p;
  }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

// A pcap (microsecond, LINKTYPE_RAW) of one small IPv4 packet per timestamp.
std::string pcap_with_times(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& times) {
  std::string out;
  const auto put32 = [&](std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  const auto put16 = [&](std::uint16_t v) { out.append(reinterpret_cast<const char*>(&v), 2); };
  put32(0xa1b2c3d4);
  put16(2);
  put16(4);
  put32(0);
  put32(0);
  put32(65535);
  put32(101);  // LINKTYPE_RAW
  const std::vector<std::uint8_t> ip = packet({.payload_bytes = udp_segment(8)});
  for (const auto& [sec, usec] : times) {
    put32(sec);
    put32(usec);
    put32(static_cast<std::uint32_t>(ip.size()));
    put32(static_cast<std::uint32_t>(ip.size()));
    out.append(ip.begin(), ip.end());
  }
  return out;
}

// ---- 1. the reassembler's heap overflow ---------------------------------------------------------

TEST(Reassembler, NeverCopiesAFragmentPastTheEndTheLastFragmentGives) {
  sim::Reassembler reassembler;
  Packet whole;
  std::vector<std::uint32_t> merged;
  Packet first(packet({.mf = true, .payload = 200}));
  Packet last(packet({.offset = 8, .payload = 8}));
  EXPECT_FALSE(reassembler.add(std::move(first), 0, whole, merged));
  ASSERT_TRUE(reassembler.add(std::move(last), 0, whole, merged));
  EXPECT_EQ(whole.size(), 20u + 16u);
  const auto ip = Ipv4View::parse(whole.bytes());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->total_length(), 36u);
  EXPECT_TRUE(ip->header_checksum_ok());
}

TEST(HostileTraffic, OverlongFirstFragmentThroughTheTunnelEndsWithAReason) {
  const std::string first = hex(packet({.mf = true, .payload = 200}));
  const std::string last = hex(packet({.offset = 8, .payload = 8}));
  const RunSummary summary = run_text(seed_scenario(fmt::format(
      "traffic:\n  - {{at: 0ms, from: left, raw: \"{}\"}}\n  - {{at: 1ms, from: left, raw: \"{}\"}}\n", first, last)));
  EXPECT_EQ(summary.injected, 2u);
  expect_every_packet_accounted(summary);
}

// ---- 2. yaml-cpp 0.7's LoadAll loop ---------------------------------------------------------------

TEST(ScenarioLoader, OneCommaFileIsBadInputInsteadOfAnEndlessLoop) {
  const std::string error = error_of([] { scenario::load_scenario_text(",", "comma.yaml"); });
  EXPECT_EQ(error.rfind("comma.yaml:1:1: ", 0), 0u) << error;
}

TEST(ScenarioLoader, SecondDocumentIsStillRefusedWithItsPlace) {
  const std::string error = error_of([] { scenario::load_scenario_text("name: a\n---\nname: b\n", "two.yaml"); });
  EXPECT_EQ(error, "two.yaml:3:1: document: the file holds 2 YAML documents (---); a scenario is one");
}

// ---- 3. unbounded reads and totals ----------------------------------------------------------------

TEST(ScenarioLoader, DevZeroIsRefusedAsNotARegularFile) {
  const std::string error = error_of([] { scenario::load_scenario_file("/dev/zero"); });
  EXPECT_EQ(error, "/dev/zero:1:1: document: a character device, not a regular file");
}

TEST(ScenarioLoader, FifoIsRefusedWithoutWaitingForAWriter) {
  TempDir dir;
  const fs::path fifo = dir.path() / "scenario.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string error = error_of([&] { scenario::load_scenario_file(fifo); });
  EXPECT_EQ(error, fifo.string() + ":1:1: document: a FIFO, not a regular file");
}

TEST(ScenarioLoader, FileLargerThanOneMebibyteIsRefused) {
  TempDir dir;
  const fs::path big = dir.file("big.yaml", "name: big\n" + std::string(1 << 20, '#'));
  const std::string error = error_of([&] { scenario::load_scenario_file(big); });
  EXPECT_NE(error.find("larger than the 1048576 bytes allowed"), std::string::npos) << error;
}

TEST(ScenarioLoader, AliasesRepeatingABillionPacketEntryHitTheTrafficLimit) {
  std::string text = seed_scenario(
      "traffic:\n  - &big {from: left, count: 1000000000, interval: 1ns, udp: {dst: \"10.0.0.22:9000\"}}\n");
  for (int i = 0; i < 99; ++i) {
    text += "  - *big\n";
  }
  const std::string error = error_of([&] { scenario::load_scenario_text(text, "aliases.yaml"); });
  EXPECT_NE(error.find("aliases.yaml:"), std::string::npos) << error;
  EXPECT_NE(error.find("more than the 4294967294 a scenario may send"), std::string::npos) << error;
}

TEST(PcapReader, FifoIsRefusedWithoutWaitingForAWriter) {
  TempDir dir;
  const fs::path fifo = dir.path() / "capture.pcap";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string error = error_of([&] { read_ipv4_pcap(fifo); });
  EXPECT_EQ(error, fifo.string() + ": a FIFO, not a regular file");
}

TEST(PcapReader, DevZeroIsRefusedAsNotARegularFile) {
  EXPECT_EQ(error_of([] { read_ipv4_pcap("/dev/zero"); }), "/dev/zero: a character device, not a regular file");
}

// ---- 4. pcap timestamps ------------------------------------------------------------------------------

TEST(PcapReader, TimestampGoingBackwardsIsBadInputNamingThePacket) {
  TempDir dir;
  const fs::path p = dir.file("back.pcap", pcap_with_times({{100, 0}, {99, 0}}));
  const std::string error = error_of([&] { read_ipv4_pcap(p); });
  EXPECT_EQ(error, p.string() + ": packet 2: timestamp goes backwards (1000000000 ns before the packet before it)");
}

TEST(PcapReader, MicrosecondFractionOfAMillionIsBadInput) {
  TempDir dir;
  const fs::path p = dir.file("usec.pcap", pcap_with_times({{100, 0}, {100, 1'000'000}}));
  const std::string error = error_of([&] { read_ipv4_pcap(p); });
  EXPECT_EQ(error, p.string() + ": packet 2: timestamp fraction 1000000000 ns is not below one second");
}

TEST(PcapReader, TimestampCenturiesAfterTheFirstIsBadInput) {
  TempDir dir;
  const fs::path p = dir.file("far.pcap", pcap_with_times({{0, 0}, {0xffffffff, 0}}));
  const std::string error = error_of([&] { read_ipv4_pcap(p); });
  EXPECT_NE(error.find("packet 2: timestamp 4294967295 s after the first packet, more than the 86400 s"),
            std::string::npos)
      << error;
}

TEST(PcapReader, TimestampsWithinADayStillRead) {
  TempDir dir;
  const fs::path p = dir.file("ok.pcap", pcap_with_times({{0xfffe0000, 999'999}, {0xfffe0000 + 86'399, 0}}));
  const auto records = read_ipv4_pcap(p);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].time_ns, 86'398'000'001'000);
}

// ---- 5. time arithmetic ------------------------------------------------------------------------------

TEST(ScenarioLoader, DurationLongerThanADayIsBadInput) {
  const std::string error = error_of([] {
    scenario::load_scenario_text(
        seed_scenario("traffic:\n  - {at: 9223372036s, from: left, udp: {dst: \"10.0.0.22:9000\"}}\n"), "long.yaml");
  });
  EXPECT_EQ(error, "long.yaml:4:10: traffic[0].at: 9223372036s is longer than the 86400s a run may last");
}

TEST(ScenarioLoader, TrafficWhoseLastPacketPassesADayIsBadInput) {
  const std::string error = error_of([] {
    scenario::load_scenario_text(
        seed_scenario(
            "traffic:\n  - {at: 86400s, count: 2, interval: 1ns, from: left, udp: {dst: \"10.0.0.22:9000\"}}\n"),
        "sum.yaml");
  });
  EXPECT_NE(error.find("sum.yaml:4:5: traffic[0]: the last of 2 packets would be sent after the 86400s"),
            std::string::npos)
      << error;
}

TEST(HostileTraffic, LongestDelaysJitterAndTimesStillRunWithoutOverflow) {
  // Every duration at its bound: the sums the simulator makes must stay representable (UBSan).
  const RunSummary summary = run_text(seed_scenario(
      "links:\n  - {between: [wan.right, right.eth0], delay: 86400s, rate: 1bit, queue: 0}\n"
      "faults:\n  - {link: wan.right, jitter: 86400s, reorder: 1, reorder_delay: 86400s}\n"
      "traffic:\n  - {at: 86400s, count: 3, interval: 0, from: left, udp: {dst: \"10.0.0.22:9000\", size: 1000}}\n"));
  EXPECT_EQ(summary.injected, 3u);
  expect_every_packet_accounted(summary);
}

// A run's bounds (input_limits.hpp): one line naming the bound, never a run without end.
TEST(HostileTraffic, ARunPastItsVirtualTimeBoundStopsWithOneLine) {
  // Nothing a scenario's durations add up to comes near 1,000 days (a link queue holds a packet
  // at most a day); a loop that advances the clock by a day per event is stopped by the clock.
  const scenario::Scenario s = scenario::load_scenario_text(seed_scenario(""), "hostile.yaml");
  const auto network = sim::Network::from_scenario(s, 1);
  std::function<void()> tick = [&] { network->events().schedule(network->now() + limits::kMaxDurationNs, tick); };
  network->events().schedule(0, tick);
  try {
    network->run();
    FAIL() << "no error";
  } catch (const sim::RunBoundExceeded& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("the run does not end: its virtual time passes 1000 days"));
  }
  EXPECT_LE(network->now(), limits::kMaxRunTimeNs);
}

TEST(HostileTraffic, ARunPastItsEventsBoundStopsWithOneLine) {
  // eagain: 1 never lets app B read the packet that waits: retries without end.
  try {
    run_text(
        seed_scenario("faults:\n  - {device: left.tun0, eagain: 1}\n"
                      "traffic:\n  - {from: left, udp: {dst: \"10.0.0.22:9000\", size: 64}}\n"));
    FAIL() << "no error";
  } catch (const sim::RunBoundExceeded& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("the run does not end: 10100000 events"));
  }
}

// ---- 6. PMTU floor and plausibility (see also scenarios/pmtu-spoofed-icmp.yaml) -----------------

class SpoofedFragNeeded : public ::testing::Test {
protected:
  SpoofedFragNeeded() {
    config_.local = Ipv4Address("18.12.0.92");
    config_.remote = Ipv4Address("18.13.0.91");
    config_.inner_address = Ipv4Address("10.0.0.12");
  }
  // Sends one inner packet through the encapsulator (outer ID 1) and returns its outer header.
  std::vector<std::uint8_t> send_one() {
    TunnelActions out;
    encapsulate(config_, state_, Packet(packet({.df = true, .payload = 8, .payload_bytes = udp_segment(8)})), 0, out);
    EXPECT_EQ(out.size(), 1u);
    return packet({.src = "18.12.0.92", .dst = "18.13.0.91", .protocol = 4, .id = out[0].outer.id, .payload = 8});
  }
  RelayOutcome frag_needed(const std::vector<std::uint8_t>& quote, std::uint16_t mtu) {
    TunnelActions out;
    return relay_icmp_error(config_, state_, {Ipv4Address("18.12.0.1"), 3, 4, mtu}, quote, 0, out);
  }
  TunnelConfig config_;
  TunnelState state_;
};

TEST_F(SpoofedFragNeeded, MtuOf68NeverTakesTheTunnelBelowMinPmtu552) {
  const auto quote = send_one();
  frag_needed(quote, 68);
  EXPECT_EQ(tunnel_mtu(config_, state_, 0), 532u);
}

TEST_F(SpoofedFragNeeded, MinPmtuIsConfigurable) {
  config_.min_pmtu = 1000;
  const auto quote = send_one();
  frag_needed(quote, 68);
  EXPECT_EQ(tunnel_mtu(config_, state_, 0), 980u);
}

TEST_F(SpoofedFragNeeded, QuotingAnOuterIdNeverSentIsIgnored) {
  send_one();
  auto forged = packet({.src = "18.12.0.92", .dst = "18.13.0.91", .protocol = 4, .id = 0x7777, .payload = 8});
  EXPECT_EQ(frag_needed(forged, 1000), RelayOutcome::implausible);
  EXPECT_EQ(tunnel_mtu(config_, state_, 0), 1480u);
}

TEST_F(SpoofedFragNeeded, BeforeAnyPacketWasSentNoQuoteIsPlausible) {
  auto forged = packet({.src = "18.12.0.92", .dst = "18.13.0.91", .protocol = 4, .id = 0, .payload = 8});
  EXPECT_EQ(frag_needed(forged, 1000), RelayOutcome::implausible);
  EXPECT_EQ(tunnel_mtu(config_, state_, 0), 1480u);
}

// ---- 7. packets that ended with no reason ----------------------------------------------------------

TEST(HostileTraffic, PingFromRightSpoofingLeftsInnerAddressEndsWithAReason) {
  const RunSummary summary =
      run_text(seed_scenario("traffic:\n  - {from: right, ping: {dst: 10.0.0.12, src: 10.0.0.12}}\n"));
  EXPECT_EQ(summary.injected, 1u);
  expect_every_packet_accounted(summary);
}

TEST(HostileTraffic, RawPacketWhoseTotalLengthIsBelowItsBytesIsSentWholeAsLinuxDoes) {
  // 1520 bytes, total length 20, DF clear, above the tun MTU (1480): Linux's IP_HDRINCL send writes
  // 1520 into the total length; the stack fragments it; right answers protocol 253 unreachable.
  const std::string raw = hex(packet({.protocol = 253, .payload = 1500, .total = 20}));
  const RunSummary summary = run_text(seed_scenario(fmt::format("traffic:\n  - {{from: left, raw: \"{}\"}}\n", raw)));
  EXPECT_EQ(summary.injected, 1u);
  expect_every_packet_accounted(summary);
  EXPECT_EQ(summary.dropped.count("protocol-unreachable"), 1u);
}

TEST(HostileTraffic, RawDatagramWhoseTotalLengthIsBelowItsBytesIsDeliveredAsItWasSent) {
  // Found by fuzz_simulation: the payload invariant compared the delivered datagram (the whole
  // 303 bytes, as IP_HDRINCL sends it) with the 32 bytes the total length announced.
  const std::string raw = hex(packet({.payload = 283, .total = 60, .payload_bytes = udp_segment(283)}));
  const RunSummary summary = run_text(seed_scenario(fmt::format("traffic:\n  - {{from: left, raw: \"{}\"}}\n", raw)));
  EXPECT_EQ(summary.delivered, 1u);
  expect_every_packet_accounted(summary);
}

// ---- 8. fragments near the 64 KiB end ----------------------------------------------------------------

TEST(HostileTraffic, InnerFragmentEndingPast65535IsDroppedBeforeItIsRefragmented) {
  // Offset 65000 + 1400 bytes: refragmenting it for the 1480-byte tunnel would wrap the offset.
  const std::string raw = hex(packet({.mf = true, .offset = 65000, .payload = 1400}));
  const RunSummary summary = run_text(seed_scenario(fmt::format("traffic:\n  - {{from: left, raw: \"{}\"}}\n", raw)));
  expect_every_packet_accounted(summary);
  EXPECT_EQ(summary.dropped.count("fragment-past-64k"), 1u);
}

TEST(Encapsulate, InnerFragmentEndingPast65535IsDroppedWithAReason) {
  TunnelConfig config;
  config.local = Ipv4Address("18.12.0.92");
  config.remote = Ipv4Address("18.13.0.91");
  TunnelState state;
  TunnelActions out;
  encapsulate(config, state, Packet(packet({.offset = 65528, .payload = 8})), 0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, TunnelAction::Kind::drop);
  EXPECT_EQ(out[0].reason, DropReason::fragment_past_64k);
}

TEST(Encapsulate, LastPossibleFragmentEndingAt65535StillPasses) {
  TunnelConfig config;
  config.local = Ipv4Address("18.12.0.92");
  config.remote = Ipv4Address("18.13.0.91");
  TunnelState state;
  TunnelActions out;
  encapsulate(config, state, Packet(packet({.offset = 65512, .payload = 3})), 0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, TunnelAction::Kind::send_outer);
}

TEST(Decapsulate, InnerFragmentEndingPast65535IsDroppedWithAReason) {
  TunnelConfig config;
  config.local = Ipv4Address("18.13.0.91");
  config.remote = Ipv4Address("18.12.0.92");
  const auto inner = packet({.offset = 65528, .payload = 8});
  auto outer = packet({.src = "18.12.0.92", .dst = "18.13.0.91", .protocol = 4, .payload = inner.size()});
  std::copy(inner.begin(), inner.end(), outer.begin() + 20);
  TunnelActions out;
  decapsulate(config, Packet(outer), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reason, DropReason::fragment_past_64k);
}

// ---- 10. error lines ----------------------------------------------------------------------------------

TEST(InputError, LineIsPrintableWhateverTheInputPutInIt) {
  EXPECT_EQ(std::string(InputError("a\nb\x1b[31mc\x7f").what()), "a\\nb\\x1b[31mc\\x7f");
  EXPECT_EQ(std::string(InputError("caf\xc3\xa9 \xff\xfe \xc2\x9b").what()), "caf\xc3\xa9 \\xff\\xfe \\xc2\\x9b");
}

TEST(ScenarioLoader, NonUtf8FileNameIsEscapedInTheLine) {
  const std::string error = error_of([] { scenario::load_scenario_file("/nonexistent/bad\xff\x1b.yaml"); });
  EXPECT_EQ(error.rfind("/nonexistent/bad\\xff\\x1b.yaml:1:1: document: cannot open: ", 0), 0u) << error;
}

TEST(ScenarioLoader, YamlMessageWithControlBytesIsOnePrintableLine) {
  const std::string error = error_of([] { scenario::load_scenario_text("name: \"a\\\x1b\"\n\x1b: [\n", "esc.yaml"); });
  EXPECT_EQ(error.rfind("esc.yaml:", 0), 0u) << error;
  EXPECT_TRUE(printable_one_line(error)) << error;
}

TEST(ScenarioLoader, DeepNestingIsNamedAsSuch) {
  const std::string error = error_of([] { scenario::load_scenario_text(std::string(5000, '['), "deep.yaml"); });
  EXPECT_EQ(error.rfind("deep.yaml:1:", 0), 0u) << error;
  EXPECT_NE(error.find("nested more than"), std::string::npos) << error;
}

// ---- 11. simulator fidelity ------------------------------------------------------------------------

TEST(HostileTraffic, PacketToTheHostsOwnAddressIsDeliveredLocallyNotThroughTun0) {
  const RunSummary summary =
      run_text(seed_scenario("traffic:\n  - {from: left, udp: {dst: \"10.0.0.12:9000\"}}\n"
                             "expect:\n  - {hop: left-tun0, count: 0}\n  - {at: left.app, port: 9000, received: 1}\n"));
  EXPECT_TRUE(summary.passed()) << summary.to_json();
}

TEST(HostileTraffic, FragmentArrivingAfterThe30sReassemblyTimeoutCompletesNothing) {
  const auto segment = udp_segment(16);
  const std::vector<std::uint8_t> head(segment.begin(), segment.begin() + 8);
  const std::vector<std::uint8_t> tail(segment.begin() + 8, segment.end());
  const std::string first = hex(packet({.mf = true, .payload = 8, .payload_bytes = head}));
  const std::string last = hex(packet({.offset = 8, .payload = 8, .payload_bytes = tail}));
  const RunSummary summary = run_text(seed_scenario(fmt::format(
      "traffic:\n  - {{at: 0s, from: left, raw: \"{}\"}}\n  - {{at: 31s, from: left, raw: \"{}\"}}\n", first, last)));
  EXPECT_EQ(summary.delivered, 0u);
  EXPECT_EQ(summary.dropped.at("reassembly-incomplete"), 2u);
  expect_every_packet_accounted(summary);
}

TEST(HostileTraffic, FragmentsWithinThe30sStillReassemble) {
  const auto segment = udp_segment(16);
  const std::vector<std::uint8_t> head(segment.begin(), segment.begin() + 8);
  const std::vector<std::uint8_t> tail(segment.begin() + 8, segment.end());
  const std::string first = hex(packet({.mf = true, .payload = 8, .payload_bytes = head}));
  const std::string last = hex(packet({.offset = 8, .payload = 8, .payload_bytes = tail}));
  const RunSummary summary = run_text(seed_scenario(fmt::format(
      "traffic:\n  - {{at: 0s, from: left, raw: \"{}\"}}\n  - {{at: 29s, from: left, raw: \"{}\"}}\n", first, last)));
  EXPECT_EQ(summary.delivered, 2u);
  expect_every_packet_accounted(summary);
}

}  // namespace
}  // namespace tunlab
