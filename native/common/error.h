// Errors raised by the numeric core. The binding turns them into JS Errors;
// the numeric units never know about Node.
#pragma once
#include <stdexcept>
#include <string>

namespace tdakit {

// A numeric failure the user can act on (singular system, separable data, no convergence).
struct NumericError : std::runtime_error {
  explicit NumericError(const std::string& what) : std::runtime_error(what) {}
};

// A malformed argument detected inside the numeric core (the binding validates first;
// this is the second line of defence for callers that use the C++ units directly).
struct ArgumentError : std::invalid_argument {
  explicit ArgumentError(const std::string& what) : std::invalid_argument(what) {}
};

// A size that overflows or cannot be allocated (the binding turns it into a RangeError with
// code ERR_TDAKIT_MEMORY, like std::bad_alloc).
struct MemoryError : std::runtime_error {
  explicit MemoryError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace tdakit
