// A Cholesky factor L (lower) rounded to float32 and packed by columns, for preconditioning only:
// its p (p + 1) / 2 floats are a quarter of the p x p doubles a float64 solve reads, so the factor
// of a few thousand parameters stays in the last-level cache between the conjugate-gradient
// iterations that apply it (each applies it twice, memory-bound in float64). These solves are
// not exact in float64; the iterations they precondition are (they check their own float64
// residuals), so only the iteration count can change.
#pragma once
#include <cstddef>
#include <vector>

namespace tdakit::influence {

class PackedFactor {
 public:
  PackedFactor() = default;
  // l: p x p column-major, lower triangle used. Stored as l / scale (a power of two), so the
  // largest entry is near 1; left unusable when the diagonal spans more than float32 can keep.
  PackedFactor(const double* l, std::size_t p);

  bool usable() const { return usable_; }
  // b <- L^{-1} b (forward) or L^{-T} b (backward), in float32 arithmetic. Returns false, b
  // unspecified, when a result does not fit float32 (the caller then solves in float64).
  bool forward(double* b) const { return solve(b, false); }
  bool backward(double* b) const { return solve(b, true); }

 private:
  bool solve(double* b, bool transpose) const;
  std::size_t p_ = 0;
  int scaleExponent_ = 0;  // the stored factor is l * 2^-scaleExponent_
  bool usable_ = false;
  std::vector<float> packed_;
};

}  // namespace tdakit::influence
