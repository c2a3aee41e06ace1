#include "checked.h"

#include <unistd.h>

#include <cstdint>

namespace tdakit {

std::size_t checkedMul(std::size_t a, std::size_t b, const char* what) {
  std::size_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    throw MemoryError(std::string(what) + ": size " + std::to_string(a) + " x " + std::to_string(b) + " overflows");
  return r;
}

std::size_t checkedAdd(std::size_t a, std::size_t b, const char* what) {
  std::size_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    throw MemoryError(std::string(what) + ": size " + std::to_string(a) + " + " + std::to_string(b) + " overflows");
  return r;
}

void checkAllocation(std::size_t count, std::size_t elementSize, const char* what) {
  const std::size_t bytes = checkedMul(count, elementSize, what);
  const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0) return;  // unknown: let the allocator decide
  const double physical = static_cast<double>(pages) * static_cast<double>(pageSize);
  if (static_cast<double>(bytes) > physical)
    throw MemoryError(std::string(what) + " needs " + std::to_string(static_cast<double>(bytes) / 1e9) +
                      " GB, more than this machine's " + std::to_string(physical / 1e9) + " GB of memory");
}

}  // namespace tdakit
