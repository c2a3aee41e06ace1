// The design matrix A = [X, 1] (intercept last) over row-major X without copying it.
// Row-major X (n x d) is the column-major matrix X^T (d x n, leading dimension d), so BLAS
// sees every example as a contiguous column and no transposed copy is ever made.
#pragma once
#include <cstddef>
#include <vector>

namespace tdakit::glm {

// acc[0..d) += sum_t z[t] rows[t] over m rows of length d (row-major), added row after row (the
// bits of one axpy per row, in a fixed order whatever the thread count), four rows per pass over
// acc: the gradient's A^T v and the Hessian-vector products' row sums.
void addScaledRows(const double* rows, const double* z, std::size_t m, std::size_t d, double* acc);

struct Design {
  const double* x = nullptr;  // n x d, row-major
  std::size_t n = 0;
  std::size_t d = 0;
  bool intercept = false;

  std::size_t p() const { return d + (intercept ? 1 : 0); }
  const double* row(std::size_t i) const { return x + i * d; }

  // z = A theta (n).
  void margins(const double* theta, double* z) const;
  // g = A^T v (p).
  void transposeTimes(const double* v, double* g) const;
  // z[first..first+count) = A[first..first+count) theta.
  void marginsRange(std::size_t first, std::size_t count, const double* theta, double* z) const;
  // g += A[first..first+count)^T v[first..first+count).
  void addTransposeTimesRange(std::size_t first, std::size_t count, const double* v, double* g) const;
  // a_i^T v for one example.
  double rowDot(std::size_t i, const double* v) const;
  // Writes a_{rows[j]} * scale[j] (scale may be null) as column j of out (p x count, column-major).
  void gatherColumns(const std::size_t* rows, std::size_t count, const double* scale, double* out) const;
  // Same for the contiguous rows [first, first + count).
  void gatherRange(std::size_t first, std::size_t count, const double* scale, double* out) const;
  // out (p x p, column-major, both triangles) beta*out + sum_i c_i a_i a_i^T (any sign).
  // Blocked over rows so the scratch stays bounded (block x d doubles).
  void weightedGram(const double* c, double beta, double* out) const;
  // ||a_i||_2 for every example.
  std::vector<double> rowNorms() const;
};

}  // namespace tdakit::glm
