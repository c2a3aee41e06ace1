#include "packed_factor.h"

#include <algorithm>
#include <cmath>

#include "packed_solve.h"

namespace tdakit::influence {

namespace {
// Scaled diagonal entries must stay this far above float32's underflow: the solves divide by them
// and their quotients must keep float32's range too.
constexpr double kSmallestDiagonal = 0x1p-60;
}  // namespace

PackedFactor::PackedFactor(const double* l, std::size_t p) : p_(p) {
  // Plain comparisons (not fmax) so that the scan vectorises: NaN never compares greater and
  // is caught by the diagonal test or by the solves' finiteness checks.
  double largest = 0.0, smallestDiagonal = INFINITY;
  for (std::size_t j = 0; j < p; ++j) {
    const double* column = l + j * p;
    smallestDiagonal = std::min(smallestDiagonal, std::fabs(column[j]));
    for (std::size_t i = j; i < p; ++i) largest = std::max(largest, std::fabs(column[i]));
  }
  if (p == 0 || !std::isfinite(largest) || !(largest > 0.0)) return;
  std::frexp(largest, &scaleExponent_);
  if (!(std::ldexp(smallestDiagonal, -scaleExponent_) >= kSmallestDiagonal)) return;
  packed_.resize(p * (p + 1) / 2);
  const double down = std::ldexp(1.0, -scaleExponent_);  // a power of two: exact
  std::size_t q = 0;
  for (std::size_t j = 0; j < p; ++j) {
    const double* column = l + j * p;
    float* out = packed_.data() + q;
    for (std::size_t i = j; i < p; ++i) out[i - j] = static_cast<float>(column[i] * down);
    q += p - j;
  }
  usable_ = true;
}

bool PackedFactor::solve(double* b, bool transpose) const {
  // b is scaled to a largest entry near 1 as well: float32 keeps the relative precision of any
  // vector whatever its magnitude (residuals shrink by many orders during a solve).
  double largest = 0.0;
  for (std::size_t k = 0; k < p_; ++k) largest = std::fmax(largest, std::fabs(b[k]));
  if (largest == 0.0) return true;  // zero stays zero (NaN entries stay NaN, as in float64)
  if (!std::isfinite(largest)) return false;
  int exponent = 0;
  std::frexp(largest, &exponent);
  const double in = std::ldexp(1.0, -exponent);
  std::vector<float> work(p_);
  for (std::size_t k = 0; k < p_; ++k) work[k] = static_cast<float>(b[k] * in);
  if (transpose)
    packedBackward(packed_.data(), p_, work.data());
  else
    packedForward(packed_.data(), p_, work.data());
  // L^{-1} b = (L 2^-s)^{-1} (b 2^-e) 2^(e - s).
  const double out = std::ldexp(1.0, exponent - scaleExponent_);
  for (std::size_t k = 0; k < p_; ++k) {
    b[k] = static_cast<double>(work[k]) * out;
    if (!std::isfinite(b[k])) return false;
  }
  return true;
}

}  // namespace tdakit::influence
