#include "capture_spool.hpp"

#include <optional>

namespace tunlab {

CaptureSpool::~CaptureSpool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_thread_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

CaptureChunk CaptureSpool::hand_over(CaptureChunkSink& sink, CaptureChunk&& chunk) {
  std::unique_lock lock(mutex_);
  rethrow_locked();
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { work(); });
  }
  wake_caller_.wait(lock, [this] { return jobs_.size() < kChunksInFlight || error_; });
  rethrow_locked();
  jobs_.push_back(Job{&sink, std::move(chunk)});
  // Waking the thread is a system call: wake it for a few chunks at a time, not for each.
  const bool wake = jobs_.size() >= kWakeAt;
  std::optional<CaptureChunk> spare;
  if (!spare_.empty()) {
    spare.emplace(std::move(spare_.back()));
    spare_.pop_back();
  }
  lock.unlock();
  if (wake) {
    wake_thread_.notify_one();
  }
  return spare ? std::move(*spare) : CaptureChunk{};
}

void CaptureSpool::drain() {
  wake_thread_.notify_one();  // it may be asleep with fewer than kWakeAt chunks waiting
  std::unique_lock lock(mutex_);
  wake_caller_.wait(lock, [this] { return (jobs_.empty() && !busy_) || !thread_.joinable(); });
  rethrow_locked();
}

void CaptureSpool::drain_quietly() noexcept {
  try {
    drain();
  } catch (...) {  // a destructor reports nothing; drain() at digest or write time did
  }
}

void CaptureSpool::rethrow_locked() {
  if (error_) {
    std::rethrow_exception(error_);
  }
}

void CaptureSpool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_thread_.wait(lock, [this] { return !jobs_.empty() || stop_; });
    if (jobs_.empty()) {
      return;  // stop_, and nothing left to do
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    const bool skip = error_ != nullptr;  // after a failure, later chunks of any capture are moot
    lock.unlock();
    std::exception_ptr error;
    if (!skip) {
      try {
        job.sink->take(job.chunk);
      } catch (...) {
        error = std::current_exception();
      }
    }
    job.chunk.clear();
    lock.lock();
    if (error && !error_) {
      error_ = error;
    }
    spare_.push_back(std::move(job.chunk));
    busy_ = false;
    wake_caller_.notify_all();
  }
}

}  // namespace tunlab
