#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"

namespace tunlab {

namespace {

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

int open_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes, const std::string& place) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused right after.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    throw InputError(fmt::format("{}: cannot open: {}", place, std::strerror(errno)));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    throw InputError(fmt::format("{}: cannot read: {}", place, std::strerror(error)));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    throw InputError(fmt::format("{}: {}, not a regular file", place, file_kind(info.st_mode)));
  }
  if (static_cast<std::uintmax_t>(info.st_size) > max_bytes) {
    ::close(fd);
    throw InputError(
        fmt::format("{}: file of {} bytes, larger than the {} bytes allowed", place, info.st_size, max_bytes));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    ::close(fd);
    throw InputError(fmt::format("{}: cannot read: {}", place, std::strerror(errno)));
  }
  return fd;
}

std::string read_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes, const std::string& place) {
  const int fd = open_regular_file(path, max_bytes, place);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw InputError(fmt::format("{}: cannot read: {}", place, std::strerror(error)));
    }
    if (n == 0) {
      break;
    }
    // A regular file that grows while it is read (or a /proc file whose size says 0) is still bounded.
    if (text.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      throw InputError(fmt::format("{}: larger than the {} bytes allowed", place, max_bytes));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace tunlab
