// Reading and writing the traced program's memory (process_vm_readv/writev). A failure means the
// program's memory is gone or the address is bad; the supervisor answers EFAULT or, when the
// program has died, ends the run.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tunlab::program {

class TargetMemory {
public:
  explicit TargetMemory(pid_t pid) : pid_(pid) {}

  bool read(std::uint64_t address, void* out, std::size_t size) const;
  bool write(std::uint64_t address, const void* data, std::size_t size) const;
  // A NUL-terminated string of at most `limit` bytes; nullopt when unreadable or longer.
  std::optional<std::string> read_string(std::uint64_t address, std::size_t limit = 4096) const;
  std::optional<std::vector<std::uint8_t>> read_bytes(std::uint64_t address, std::size_t size) const;

  template <typename T>
  std::optional<T> get(std::uint64_t address) const {
    T value{};
    return read(address, &value, sizeof(T)) ? std::optional<T>(value) : std::nullopt;
  }
  template <typename T>
  bool put(std::uint64_t address, const T& value) const {
    return write(address, &value, sizeof(T));
  }

private:
  pid_t pid_;
};

}  // namespace tunlab::program
