#include "target_memory.hpp"

#include <sys/uio.h>

#include <algorithm>

namespace tunlab::program {

bool TargetMemory::read(std::uint64_t address, void* out, std::size_t size) const {
  if (size == 0) {
    return true;
  }
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  return process_vm_readv(pid_, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

bool TargetMemory::write(std::uint64_t address, const void* data, std::size_t size) const {
  if (size == 0) {
    return true;
  }
  iovec local{const_cast<void*>(data), size};
  iovec remote{reinterpret_cast<void*>(address), size};
  return process_vm_writev(pid_, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

std::optional<std::string> TargetMemory::read_string(std::uint64_t address, std::size_t limit) const {
  // Page by page: the string may end just before an unmapped page.
  constexpr std::uint64_t kPage = 4096;
  std::string out;
  while (out.size() < limit) {
    const std::size_t chunk = static_cast<std::size_t>(kPage - (address % kPage));
    char buffer[4096];
    if (!read(address, buffer, chunk)) {
      return std::nullopt;
    }
    const char* end = std::find(buffer, buffer + chunk, '\0');
    out.append(buffer, static_cast<std::size_t>(end - buffer));
    if (end != buffer + chunk) {
      return out.size() <= limit ? std::optional<std::string>(out) : std::nullopt;
    }
    address += chunk;
  }
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> TargetMemory::read_bytes(std::uint64_t address, std::size_t size) const {
  std::vector<std::uint8_t> out(size);
  if (!read(address, out.data(), size)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace tunlab::program
