// FaultyDevice (harness/faulty_device.hpp) around a MockDevice: the EAGAIN fault drawn from the
// device's stream only when a packet waits, truncation to read_buffer, nothing lost or reordered,
// writes passed through.
#include "tunlab/harness/faulty_device.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "tunlab/testing/mocks.hpp"

namespace tunlab {
namespace {

using ::testing::_;
using ::testing::Return;

scenario::DeviceFaultSpec faults(double eagain, std::size_t read_buffer = 0) {
  scenario::DeviceFaultSpec f;
  f.host = "left";
  f.device = "tun0";
  f.eagain = eagain;
  f.read_buffer = read_buffer;
  return f;
}

Random stream() {
  return Random::derive(1, FaultyDevice::stream_name("left", "tun0"));
}

std::vector<std::uint8_t> numbered(std::uint8_t n, std::size_t size) {
  std::vector<std::uint8_t> bytes(size, n);
  bytes[0] = 0x45;
  return bytes;
}

// A MockDevice backed by a queue of packets: readable while the queue is non-empty.
class QueuedDevice {
public:
  explicit QueuedDevice(testing::MockDevice& mock) {
    ON_CALL(mock, readable).WillByDefault([this] { return !queue_.empty(); });
    ON_CALL(mock, read).WillByDefault([this](Packet& out) {
      ++reads_;
      if (queue_.empty()) {
        return IoResult{IoStatus::would_block};
      }
      out.assign(queue_.front());
      queue_.pop_front();
      return IoResult{IoStatus::ok, out.size()};
    });
  }
  void push(std::vector<std::uint8_t> bytes) { queue_.push_back(std::move(bytes)); }
  std::size_t size() const { return queue_.size(); }
  std::size_t reads() const { return reads_; }

private:
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t reads_ = 0;
};

TEST(FaultyDevice, ReportsEagainAsOftenAsTheDevicesOwnStreamSaysForAFixedSeed) {
  ::testing::NiceMock<testing::MockDevice> inner;
  QueuedDevice queue(inner);
  constexpr int kReads = 10'000;
  for (int i = 0; i < kReads; ++i) {
    queue.push(numbered(static_cast<std::uint8_t>(i), 40));
  }
  FaultyDevice device(inner, faults(0.25), stream());

  // The oracle: one draw of the same stream per read that finds a packet waiting.
  Random oracle = stream();
  int expected_eagain = 0;
  int eagain = 0;
  for (int i = 0; i < kReads; ++i) {
    expected_eagain += oracle.chance(0.25) ? 1 : 0;
    Packet out;
    const IoResult result = device.read(out);
    if (result.status == IoStatus::would_block) {
      ++eagain;
      EXPECT_EQ(result.sys_errno, EAGAIN);
    } else {
      ASSERT_TRUE(result.ok());
    }
  }
  EXPECT_EQ(eagain, expected_eagain);
  EXPECT_NEAR(eagain, kReads / 4, 150);  // 0.25 of 10,000, within about 3.5 standard deviations
  // A faulted read never touched the inner device: its packet still waits there.
  EXPECT_EQ(queue.reads(), static_cast<std::size_t>(kReads - eagain));
  EXPECT_EQ(queue.size(), static_cast<std::size_t>(eagain));
}

TEST(FaultyDevice, DrawsNothingWhenNoPacketWaits) {
  ::testing::NiceMock<testing::MockDevice> inner;
  QueuedDevice queue(inner);
  FaultyDevice device(inner, faults(0.5), stream());
  Packet out;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(device.read(out).status, IoStatus::would_block);  // the inner device's own EAGAIN
  }
  EXPECT_EQ(queue.reads(), 100u);
  // The stream is untouched: once packets wait, each read draws from a fresh copy of it.
  for (int i = 0; i < 50; ++i) {
    queue.push(numbered(static_cast<std::uint8_t>(i), 40));
  }
  Random oracle = stream();
  int reads = 0;
  while (queue.size() > 0) {
    const bool fault = oracle.chance(0.5);
    EXPECT_EQ(device.read(out).status == IoStatus::would_block, fault) << "read " << reads;
    ++reads;
  }
  EXPECT_GT(reads, 50);
}

TEST(FaultyDevice, WithoutFaultsTheInnerReadPassesThroughUntouched) {
  ::testing::StrictMock<testing::MockDevice> inner;
  const std::vector<std::uint8_t> bytes = numbered(7, 300);
  EXPECT_CALL(inner, read(_)).WillOnce(testing::ReadPacket(bytes));
  FaultyDevice device(inner, faults(0), stream());  // neither readable() nor a draw is asked for
  Packet out;
  const IoResult result = device.read(out);
  EXPECT_EQ(result.status, IoStatus::ok);
  EXPECT_EQ(result.bytes, 300u);
  EXPECT_EQ(std::vector<std::uint8_t>(out.bytes().begin(), out.bytes().end()), bytes);
}

TEST(FaultyDevice, TruncatesReadsLongerThanTheReadBufferAndKeepsTheHead) {
  ::testing::NiceMock<testing::MockDevice> inner;
  QueuedDevice queue(inner);
  const std::vector<std::uint8_t> long_packet = numbered(1, 200);
  queue.push(long_packet);
  queue.push(numbered(2, 100));  // exactly the buffer: whole
  queue.push(numbered(3, 60));
  FaultyDevice device(inner, faults(0, 100), stream());

  Packet out;
  IoResult result = device.read(out);
  EXPECT_EQ(result.status, IoStatus::truncated);
  EXPECT_EQ(result.bytes, 100u);
  ASSERT_EQ(out.size(), 100u);
  EXPECT_TRUE(std::equal(out.bytes().begin(), out.bytes().end(), long_packet.begin()));

  result = device.read(out);
  EXPECT_EQ(result.status, IoStatus::ok);
  EXPECT_EQ(out.size(), 100u);
  result = device.read(out);
  EXPECT_EQ(result.status, IoStatus::ok);
  EXPECT_EQ(out.size(), 60u);
  EXPECT_EQ(device.read(out).status, IoStatus::would_block);
}

TEST(FaultyDevice, LosesNothingAndKeepsTheOrderUnderBothFaults) {
  ::testing::NiceMock<testing::MockDevice> inner;
  QueuedDevice queue(inner);
  constexpr int kPackets = 500;
  for (int i = 0; i < kPackets; ++i) {
    queue.push(numbered(static_cast<std::uint8_t>(i), i % 2 == 0 ? 80 : 150));
  }
  FaultyDevice device(inner, faults(0.6, 120), stream());
  std::vector<std::uint8_t> seen;  // each packet's number, whole or truncated
  int whole = 0;
  int truncated = 0;
  int eagain = 0;
  while (seen.size() < kPackets) {
    Packet out;
    const IoResult result = device.read(out);
    if (result.status == IoStatus::would_block) {
      ++eagain;
      ASSERT_LT(eagain, 100'000) << "a packet never came out";
      continue;
    }
    ASSERT_TRUE(result.ok() || result.status == IoStatus::truncated);
    (result.ok() ? whole : truncated) += 1;
    EXPECT_EQ(out.size(), result.ok() ? 80u : 120u);
    seen.push_back(out.bytes()[1]);
  }
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(whole, kPackets / 2);
  EXPECT_EQ(truncated, kPackets / 2);
  EXPECT_GT(eagain, kPackets);  // 0.6: about 1.5 faulted reads per packet
  for (int i = 0; i < kPackets; ++i) {
    EXPECT_EQ(seen[static_cast<std::size_t>(i)], static_cast<std::uint8_t>(i));
  }
}

TEST(FaultyDevice, ReadManyGoesThroughTheFaults) {
  ::testing::NiceMock<testing::MockDevice> inner;
  QueuedDevice queue(inner);
  for (int i = 0; i < 8; ++i) {
    queue.push(numbered(static_cast<std::uint8_t>(i), 200));
  }
  FaultyDevice device(inner, faults(0, 50), stream());
  std::vector<Packet> batch(8);
  std::vector<IoResult> results(8);
  ASSERT_EQ(device.read_many(batch, results), 8u);
  for (const IoResult& result : results) {
    EXPECT_EQ(result.status, IoStatus::truncated);
    EXPECT_EQ(result.bytes, 50u);
  }
  EXPECT_EQ(queue.size(), 0u);
}

// The real TUN device batches through io_uring; a scenario's device faults must not turn that
// off (the wrapper once forgot to forward it, and the engine fell back to a read per packet).
class BatchingQueue : public ::testing::NiceMock<testing::MockDevice> {
public:
  DeviceCapabilities capabilities() const override {
    DeviceCapabilities can;
    can.batched_io = true;
    return can;
  }
  std::size_t read_many(std::span<Packet> out, std::span<IoResult> results) override {
    ++batches;
    return Device::read_many(out, results);
  }
  std::size_t write_many(std::span<const Packet> packets, std::span<IoResult> results) override {
    ++batches;
    return Device::write_many(packets, results);
  }
  int batches = 0;
};

TEST(FaultyDevice, KeepsTheInnerDevicesBatchedIo) {
  BatchingQueue inner;
  QueuedDevice queue(inner);
  for (int i = 0; i < 3; ++i) {
    queue.push(numbered(static_cast<std::uint8_t>(i), 200));
  }
  FaultyDevice device(inner, faults(0, 100), stream());
  EXPECT_TRUE(device.capabilities().batched_io);

  std::vector<Packet> batch(8);
  std::vector<IoResult> results(8);
  ASSERT_EQ(device.read_many(batch, results), 4u) << "three packets and the read that found none";
  EXPECT_EQ(inner.batches, 1) << "one batch of the inner device, not a read() each";
  EXPECT_EQ(results[0].status, IoStatus::truncated) << "read_buffer still applies to a batch";
  EXPECT_EQ(batch[2][1], 2u);
  EXPECT_EQ(results[3].status, IoStatus::would_block);

  EXPECT_CALL(inner, write(_)).Times(2).WillRepeatedly(Return(IoResult{IoStatus::ok, 200}));
  ASSERT_EQ(device.write_many(std::span<const Packet>(batch.data(), 2), results), 2u);
  EXPECT_EQ(inner.batches, 2);
}

TEST(FaultyDevice, DrawsOneEagainForABatchWhileAPacketWaits) {
  BatchingQueue inner;
  QueuedDevice queue(inner);
  queue.push(numbered(1, 200));
  FaultyDevice device(inner, faults(1.0), stream());
  std::vector<Packet> batch(4);
  std::vector<IoResult> results(4);
  ASSERT_EQ(device.read_many(batch, results), 1u);
  EXPECT_EQ(results[0].status, IoStatus::would_block);
  EXPECT_EQ(inner.batches, 0) << "the faulted batch leaves the packet waiting in the device";
  EXPECT_EQ(queue.size(), 1u);
}

TEST(FaultyDevice, WritesAndPropertiesPassThrough) {
  ::testing::NiceMock<testing::MockDevice> inner;
  ON_CALL(inner, name).WillByDefault(Return(std::string_view("tun7")));
  DeviceCapabilities mtu_1400;
  mtu_1400.mtu = 1400;
  ON_CALL(inner, capabilities).WillByDefault(Return(mtu_1400));
  const std::vector<std::uint8_t> bytes = numbered(9, 64);
  EXPECT_CALL(inner, write(_)).WillOnce([&](ByteView written) {
    EXPECT_TRUE(std::equal(written.begin(), written.end(), bytes.begin(), bytes.end()));
    return IoResult{IoStatus::ok, written.size()};
  });
  FaultyDevice device(inner, faults(1.0, 10), stream());
  EXPECT_EQ(device.name(), "tun7");
  EXPECT_EQ(device.mtu(), 1400u);
  EXPECT_EQ(device.kind(), DeviceKind::tun);
  EXPECT_EQ(device.write(bytes).status, IoStatus::ok);
}

}  // namespace
}  // namespace tunlab
