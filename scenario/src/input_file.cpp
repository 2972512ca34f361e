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

bool is_continuation(unsigned char c) {
  return (c & 0xc0) == 0x80;
}

// Length of the valid UTF-8 sequence at text[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const std::size_t left = text.size() - i;
  if (c >= 0xc2 && c <= 0xdf) {
    return left >= 2 && is_continuation(at(1)) ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || !is_continuation(at(1)) || !is_continuation(at(2))) {
      return 0;
    }
    if ((c == 0xe0 && at(1) < 0xa0) || (c == 0xed && at(1) >= 0xa0)) {
      return 0;
    }
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || !is_continuation(at(1)) || !is_continuation(at(2)) || !is_continuation(at(3))) {
      return 0;
    }
    if ((c == 0xf0 && at(1) < 0x90) || (c == 0xf4 && at(1) >= 0x90)) {
      return 0;
    }
    return 4;
  }
  return 0;
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::string printable_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c == '\n' || c == '\t' || c == '\r') {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";
      ++i;
      continue;
    }
    const std::size_t length = c >= 0x80 ? utf8_sequence(text, i) : 0;
    // C1 controls (U+0080..U+009F, encoded c2 80..c2 9f) move terminals as ESC does.
    if (length > 0 && !(c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0)) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    out += fmt::format("\\x{:02x}", c);
    ++i;
  }
  return out;
}

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
