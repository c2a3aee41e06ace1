// Overflow-safe size arithmetic and an up-front memory check, so that an absurd size becomes a
// clear error before anything is allocated instead of a wrapped product or an abort.
#pragma once
#include <cstddef>
#include <string>

#include "error.h"

namespace tdakit {

// a * b, or MemoryError naming `what` when the product does not fit in size_t.
std::size_t checkedMul(std::size_t a, std::size_t b, const char* what);
// a + b, likewise.
std::size_t checkedAdd(std::size_t a, std::size_t b, const char* what);
// Throws MemoryError when `count` elements of `elementSize` bytes exceed the machine's physical
// memory (a request that large cannot succeed and, under overcommit, would be killed later).
void checkAllocation(std::size_t count, std::size_t elementSize, const char* what);

}  // namespace tdakit
