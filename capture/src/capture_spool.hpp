// The background half of streamed captures. A capture fills a chunk as packets pass; a full chunk
// goes to one thread that hashes it (for the capture hashed as it is written) and writes it to
// the capture's file, so the simulation never waits for SHA-256 or write(2). Each capture's chunks
// are handled in the order they were handed over, so the bytes written and hashed are exactly
// those a synchronous writer would produce: thread timing changes when, never what.
//
// Bounded: at most kChunksInFlight chunks wait at once; a capture that runs ahead waits for the
// thread, so memory stays flat however long the run. The thread starts with the first full chunk:
// small runs (tests, fuzzing, most scenarios) never start one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tunlab {

class CaptureChunk {
public:
  // Room for kFillBytes plus one whole record (its 16-byte header and at most the 65535 bytes of
  // the capture's snapshot length), so a record is appended without a bounds check and the chunk
  // is handed over once it holds at least kFillBytes.
  static constexpr std::size_t kFillBytes = 256 * 1024;
  static constexpr std::size_t kLargestRecord = 16 + 65535;
  static constexpr std::size_t kCapacity = kFillBytes + kLargestRecord;

  CaptureChunk() : data_(std::make_unique_for_overwrite<std::uint8_t[]>(kCapacity)) {}

  // Inline: a simulated hop appends three pieces per record, and a call each cost more than the
  // copies of a small packet.
  void append(const void* bytes, std::size_t size) {
    if (size != 0) {  // an empty span may have no data pointer, and memcpy must not be handed null
      std::memcpy(data_.get() + size_, bytes, size);
      size_ += size;
    }
  }
  bool full() const { return size_ >= kFillBytes; }
  bool empty() const { return size_ == 0; }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  void clear() { size_ = 0; }

private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
};

// What the spool's thread does with a chunk of one capture: hash it and/or write it out.
class CaptureChunkSink {
public:
  virtual void take(const CaptureChunk& chunk) = 0;

protected:
  ~CaptureChunkSink() = default;
};

class CaptureSpool {
public:
  CaptureSpool() = default;
  ~CaptureSpool();
  CaptureSpool(const CaptureSpool&) = delete;
  CaptureSpool& operator=(const CaptureSpool&) = delete;

  // Hands `chunk` to the thread for `sink` and gives back an empty chunk to fill next. Blocks
  // while kChunksInFlight chunks are waiting. Rethrows what a sink threw before.
  CaptureChunk hand_over(CaptureChunkSink& sink, CaptureChunk&& chunk);
  // Waits until every chunk handed over is done; rethrows the first exception a sink threw.
  void drain();
  // drain() for destructors: waits, reports nothing.
  void drain_quietly() noexcept;

private:
  static constexpr std::size_t kChunksInFlight = 8;
  static constexpr std::size_t kWakeAt = 4;

  struct Job {
    CaptureChunkSink* sink = nullptr;
    CaptureChunk chunk;
  };
  void work();
  void rethrow_locked();

  std::mutex mutex_;
  std::condition_variable wake_thread_;
  std::condition_variable wake_caller_;
  std::deque<Job> jobs_;
  std::vector<CaptureChunk> spare_;
  bool busy_ = false;  // the thread is running a job it has taken off jobs_
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace tunlab
