// The nonzeros of X by row, kept beside the dense row-major X when X is mostly zeros (bag-of-words
// counts): margins, gradients and Hessian-vector products then cost O(nnz) instead of O(n d).
// Sums skip exact zeros only, so results agree with the dense path to rounding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "design.h"

namespace tdakit::glm {

class SparseRows {
 public:
  // Null when more than maxDensity of X's entries are nonzero (the dense BLAS path is faster).
  static std::shared_ptr<const SparseRows> build(const Design& a, double maxDensity);

  // ||a_i||_2 for every example (as Design::rowNorms, from the nonzeros).
  std::vector<double> rowNorms() const;
  // a_i^T v (the intercept included).
  double rowDot(std::size_t i, const double* v) const {
    double s = intercept_ ? v[d_] : 0.0;
    for (std::size_t k = start_[i]; k < start_[i + 1]; ++k) s += value_[k] * v[column_[k]];
    return s;
  }
  // Stored entries of row i (its nonzeros).
  std::size_t rowEntries(std::size_t i) const { return start_[i + 1] - start_[i]; }
  // out += scale * a_i^2 (elementwise).
  void addRowSquares(std::size_t i, double scale, double* out) const {
    for (std::size_t k = start_[i]; k < start_[i + 1]; ++k) out[column_[k]] += scale * value_[k] * value_[k];
    if (intercept_) out[d_] += scale;
  }
  // out += scale * a_i.
  void addRow(std::size_t i, double scale, double* out) const {
    for (std::size_t k = start_[i]; k < start_[i + 1]; ++k) out[column_[k]] += scale * value_[k];
    if (intercept_) out[d_] += scale;
  }

 private:
  std::size_t d_ = 0;
  bool intercept_ = false;
  std::vector<std::size_t> start_;     // n + 1
  std::vector<std::uint32_t> column_;  // nnz
  std::vector<double> value_;          // nnz
};

}  // namespace tdakit::glm
