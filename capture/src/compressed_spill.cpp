#include "compressed_spill.hpp"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "tunlab/scenario/input_error.hpp"

namespace tunlab {

namespace {

int open_unlinked_temporary(const std::string& what) {
  std::FILE* temp = std::tmpfile();  // unlinked: nothing is left behind, whatever happens
  if (temp == nullptr) {
    throw std::system_error(errno, std::generic_category(), what);
  }
  const int fd = ::dup(::fileno(temp));
  const int dup_errno = errno;
  std::fclose(temp);
  if (fd < 0) {
    throw std::system_error(dup_errno, std::generic_category(), what);
  }
  return fd;
}

// The read-back state a ReadAhead's Fill carries: the file, a piece at a time, through one
// decompression stream into the block.
class StreamReader {
public:
  StreamReader(int fd, std::uint64_t end)
      : fd_(fd), end_(end), context_(ZSTD_createDCtx(), &ZSTD_freeDCtx), input_(ZSTD_DStreamInSize()) {
    if (!context_) {
      throw std::runtime_error("zstd: out of memory");
    }
  }

  std::size_t fill(std::uint8_t* block, std::size_t capacity) {
    ZSTD_outBuffer out{block, capacity, 0};
    while (out.pos < out.size) {
      if (in_.pos == in_.size && position_ < end_) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(input_.size(), end_ - position_));
        pread_exact(fd_, input_.data(), want, position_);
        position_ += want;
        in_ = {input_.data(), want, 0};
      }
      const std::size_t produced = out.pos;
      const std::size_t consumed = in_.pos;
      const std::size_t left = ZSTD_decompressStream(context_.get(), &out, &in_);
      if (ZSTD_isError(left)) {
        throw std::runtime_error(std::string("damaged: ") + ZSTD_getErrorName(left));
      }
      if (out.pos == produced && in_.pos == consumed) {
        break;  // everything read and nothing more comes out
      }
      in_frame_ = left != 0;  // 0: a frame ended and everything it holds is out
    }
    if (out.pos == 0 && in_frame_) {
      throw std::runtime_error("the file ended inside a zstd frame");
    }
    return out.pos;
  }

private:
  int fd_;
  std::uint64_t end_;
  std::uint64_t position_ = 0;
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> context_;
  std::vector<std::uint8_t> input_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  bool in_frame_ = false;
};

// Compressed bytes are written once this many have gathered: a write(2) per zstd block would
// cost more than the compression.
constexpr std::size_t kWriteAt = std::size_t{256} << 10;

}  // namespace

CompressedSpill::CompressedSpill(std::string what)
    : what_(std::move(what)),
      fd_(open_unlinked_temporary(what_)),
      context_(ZSTD_createCCtx(), &ZSTD_freeCCtx),
      out_(kWriteAt + ZSTD_CStreamOutSize()) {
  if (!context_) {
    ::close(fd_);
    throw std::runtime_error(what_ + ": zstd: out of memory");
  }
  if (ZSTD_isError(ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_compressionLevel, kLevel))) {
    ::close(fd_);
    throw std::runtime_error(what_ + ": zstd refuses level " + std::to_string(kLevel));
  }
}

CompressedSpill::~CompressedSpill() {
  ::close(fd_);
}

void CompressedSpill::append(const std::uint8_t* data, std::size_t size) {
  compress(data, size, ZSTD_e_continue);
  original_bytes_ += size;
}

void CompressedSpill::compress(const std::uint8_t* data, std::size_t size, int directive) {
  ZSTD_inBuffer in{data, size, 0};
  for (;;) {
    ZSTD_outBuffer out{out_.data() + out_used_, out_.size() - out_used_, 0};
    const std::size_t left = ZSTD_compressStream2(context_.get(), &out, &in, static_cast<ZSTD_EndDirective>(directive));
    if (ZSTD_isError(left)) {
      throw std::runtime_error(what_ + ": zstd: " + ZSTD_getErrorName(left));
    }
    out_used_ += out.pos;
    if (out_used_ >= kWriteAt || (out.pos == out.size)) {
      write_out();
    }
    const bool done = directive == ZSTD_e_continue ? in.pos == in.size : left == 0;
    if (done) {
      return;
    }
  }
}

void CompressedSpill::write_out() {
  const std::uint8_t* p = out_.data();
  std::size_t left = out_used_;
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw InputError(what_ + ": cannot write: " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  stored_bytes_ += out_used_;
  out_used_ = 0;
}

std::unique_ptr<ReadAhead> CompressedSpill::read_back() {
  compress(nullptr, 0, ZSTD_e_end);
  write_out();
  auto reader = std::make_shared<StreamReader>(fd_, stored_bytes_);
  return std::make_unique<ReadAhead>(
      [reader](std::uint8_t* block, std::size_t capacity) { return reader->fill(block, capacity); }, what_);
}

}  // namespace tunlab
