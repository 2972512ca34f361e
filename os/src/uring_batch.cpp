#include "uring_batch.hpp"

#include <liburing.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tunlab::os {

struct UringBatch::Ring {
  io_uring ring{};
  io_uring_sqe* last_write = nullptr;  // queued in this batch, to be linked to the next write
};

std::unique_ptr<UringBatch> UringBatch::open(unsigned depth, std::string& why_not) {
  auto ring = std::make_unique<Ring>();
  if (const int err = io_uring_queue_init(depth, &ring->ring, 0); err < 0) {
    why_not = "io_uring_setup: " + std::string(std::strerror(-err));
    return nullptr;
  }
  return std::unique_ptr<UringBatch>(new UringBatch(std::move(ring), depth));
}

UringBatch::UringBatch(std::unique_ptr<Ring> ring, unsigned depth) : ring_(std::move(ring)), depth_(depth) {}

UringBatch::~UringBatch() {
  io_uring_queue_exit(&ring_->ring);
}

io_uring_sqe* UringBatch::next_sqe() {
  io_uring_sqe* sqe = queued_ < depth_ ? io_uring_get_sqe(&ring_->ring) : nullptr;
  if (sqe == nullptr) {
    throw std::logic_error("UringBatch: more than " + std::to_string(depth_) + " operations in one batch");
  }
  return sqe;
}

void UringBatch::queue_read(int fd, const iovec* iov, int count, std::uint32_t tag) {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_readv2(sqe, fd, iov, static_cast<unsigned>(count), 0, RWF_NOWAIT);
  io_uring_sqe_set_data64(sqe, tag);
  ++queued_;
  ring_->last_write = nullptr;
}

void UringBatch::queue_write(int fd, const iovec* iov, int count, std::uint32_t tag) {
  if (ring_->last_write != nullptr) {
    // The previous write links to this one: in order, and a failure cancels what follows.
    ring_->last_write->flags |= IOSQE_IO_LINK;
  }
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_writev(sqe, fd, iov, static_cast<unsigned>(count), 0);
  io_uring_sqe_set_data64(sqe, tag);
  ++queued_;
  ring_->last_write = sqe;
}

bool UringBatch::run(const std::function<void(std::uint32_t, int)>& done) {
  const unsigned want = queued_;
  queued_ = 0;
  ring_->last_write = nullptr;
  if (want == 0) {
    return true;
  }
  int submitted = 0;
  do {
    submitted = io_uring_submit_and_wait(&ring_->ring, want);
  } while (submitted == -EINTR);
  if (submitted < 0) {
    errno = -submitted;
    return false;
  }
  unsigned seen = 0;
  while (seen < want) {
    io_uring_cqe* cqe = nullptr;
    if (const int err = io_uring_wait_cqe(&ring_->ring, &cqe); err < 0) {
      if (err == -EINTR) {
        continue;
      }
      errno = -err;
      return false;
    }
    done(static_cast<std::uint32_t>(io_uring_cqe_get_data64(cqe)), cqe->res);
    io_uring_cqe_seen(&ring_->ring, cqe);
    ++seen;
  }
  return true;
}

}  // namespace tunlab::os
