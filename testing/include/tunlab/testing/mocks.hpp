// GMock doubles of tunlab's two I/O interfaces, for testing code that drives a Device or an
// Underlay (the tunnel engine, or another project's own app B) without a simulator or a kernel.
//
//   tunlab::testing::MockDevice tun;
//   EXPECT_CALL(tun, read).WillOnce(tunlab::testing::ReadPacket(bytes))
//                         .WillRepeatedly(tunlab::testing::ReadNothing());
#pragma once

#include <gmock/gmock.h>

#include <vector>

#include "tunlab/tunnel/app_b.hpp"
#include "tunlab/tunnel/device.hpp"
#include "tunlab/tunnel/underlay.hpp"

namespace tunlab::testing {

class MockDevice : public Device {
public:
  MockDevice() {
    ON_CALL(*this, name).WillByDefault(::testing::Return(std::string_view("tun0")));
    // A tun of MTU 1500, one packet per call: override with ON_CALL(dev, capabilities).
    ON_CALL(*this, capabilities).WillByDefault(::testing::Return(DeviceCapabilities{}));
    ON_CALL(*this, readable).WillByDefault(::testing::Return(true));  // as Device's: "unknown"
  }
  MOCK_METHOD(std::string_view, name, (), (const, override));
  MOCK_METHOD(DeviceCapabilities, capabilities, (), (const, override));
  MOCK_METHOD(IoResult, read, (Packet & out), (override));
  MOCK_METHOD(bool, readable, (), (const, override));
  MOCK_METHOD(IoResult, write, (ByteView packet), (override));
};

class MockUnderlay : public Underlay {
public:
  MOCK_METHOD(IoResult, send, (const OuterHeader& outer, Packet&& inner), (override));
  MOCK_METHOD(UnderlayEvent, receive, (Packet & out, UnderlayError& error), (override));
};

// Where an app B reports its drops: EXPECT_CALL(drops, dropped(_, "bad-magic")) says which drop a
// test wants, and a drop nobody expected fails the test as an uninteresting call would.
class MockDropReporter : public DropReporter {
public:
  MOCK_METHOD(void, dropped, (const Packet& packet, std::string_view reason), (override));
};

// Actions for MockDevice::read: hand out one packet, or report EAGAIN.
inline auto ReadPacket(std::vector<std::uint8_t> bytes) {
  return [bytes = std::move(bytes)](Packet& out) {
    out.assign(bytes);
    return IoResult{IoStatus::ok, bytes.size()};
  };
}
inline auto ReadNothing() {
  return [](Packet&) { return IoResult{IoStatus::would_block}; };
}
// Actions for MockUnderlay::receive: one outer packet, one ICMP error, or nothing.
inline auto ReceivePacket(std::vector<std::uint8_t> bytes) {
  return [bytes = std::move(bytes)](Packet& out, UnderlayError&) {
    out.assign(bytes);
    return UnderlayEvent::packet;
  };
}
inline auto ReceiveError(UnderlayError error, std::vector<std::uint8_t> quoted) {
  return [error, quoted = std::move(quoted)](Packet& out, UnderlayError& e) {
    out.assign(quoted);
    e = error;
    return UnderlayEvent::error;
  };
}
inline auto ReceiveNothing() {
  return [](Packet&, UnderlayError&) { return UnderlayEvent::nothing; };
}

}  // namespace tunlab::testing
