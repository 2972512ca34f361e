// Heap allocations counted by a replacement operator new, for a test or benchmark that pins down
// what a path allocates. A replacement operator new is one per program: add counting_new.cpp to
// the sources of exactly the binaries that count, never to a library.
#pragma once

#include <cstdint>

namespace tunlab::test {

// Allocations through operator new since the program started (all threads).
std::uint64_t heap_allocations();

}  // namespace tunlab::test
