#include "scores.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../linalg/blas.h"

namespace tdakit::influence {

namespace {

// Rows per block: see the Daunce covariance (the same trade-off between the cache and BLAS's
// repacking of V in every call).
std::size_t blockRows(std::size_t m) {
  return std::clamp<std::size_t>((std::size_t{1} << 18) / std::max<std::size_t>(m, 1), 64, 1024);
}

// An infinite factor (leverage 1) must give +-Infinity, or 0 when the raw score is 0, never NaN.
inline double rescale(double raw, double f) {
  if (std::isinf(f)) return raw == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), raw);
  return raw * f;
}

// V's intercept row (element (d, j) at d + j p) as a contiguous m-vector, or empty.
std::vector<double> interceptRow(const ScoreInputs& in) {
  if (!in.train.intercept) return {};
  const std::size_t p = in.train.p(), d = in.train.d;
  std::vector<double> b(in.m);
  for (std::size_t j = 0; j < in.m; ++j) b[j] = in.v[d + j * p];
  return b;
}

// Computes the scores of training rows [first, first+count) against every query into
// block (m x count column-major = count x m row-major). The rows of X are the GEMM operand
// as they are (no copy); the intercept's row of V, u, r, c and f follow in one pass per row.
void scoreBlock(const ScoreInputs& in, const std::vector<double>& vLast, std::size_t first, std::size_t count,
                double* block) {
  const std::size_t p = in.train.p(), d = in.train.d, m = in.m;
  if (d > 0)
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(count),
                static_cast<int>(d), 1.0, in.v, static_cast<int>(p), in.train.row(first), static_cast<int>(d), 0.0,
                block, static_cast<int>(m));
  else
    std::fill(block, block + count * m, 0.0);
  const double* b = vLast.empty() ? nullptr : vLast.data();
  for (std::size_t r = 0; r < count; ++r) {
    const std::size_t i = first + r;
    const double u = in.rowCoef[i];
    const double f = in.rowFactor ? in.rowFactor[i] : 1.0;
    const double shift = in.colOffset ? (in.rowShift ? in.rowShift[i] : 1.0) : 0.0;
    double* row = block + r * m;
    if (std::isinf(f)) {
      for (std::size_t j = 0; j < m; ++j)
        row[j] = rescale(u * (row[j] + (b ? b[j] : 0.0)) + (shift != 0.0 ? shift * in.colOffset[j] : 0.0), f);
    } else if (shift != 0.0) {
      for (std::size_t j = 0; j < m; ++j) row[j] = (u * (row[j] + (b ? b[j] : 0.0)) + shift * in.colOffset[j]) * f;
    } else if (b) {
      for (std::size_t j = 0; j < m; ++j) row[j] = (u * (row[j] + b[j])) * f;
    } else {
      for (std::size_t j = 0; j < m; ++j) row[j] = (u * row[j]) * f;
    }
  }
}

}  // namespace

void scoreMatrix(const ScoreInputs& in, double* out) {
  const std::size_t rows = blockRows(in.m);
  const std::size_t workers = linalg::kernelWorkers(linalg::blockCount(in.train.n, rows));
  const std::vector<double> vLast = interceptRow(in);
  linalg::forBlocksInParallel(in.train.n, rows, workers, [&](std::size_t, std::size_t first, std::size_t count) {
    scoreBlock(in, vLast, first, count, out + first * in.m);
  });
}

linalg::TopK scoreTopK(const ScoreInputs& in, std::size_t k) {
  const std::size_t rows = blockRows(in.m);
  const std::size_t workers = linalg::kernelWorkers(linalg::blockCount(in.train.n, rows));
  const std::vector<double> vLast = interceptRow(in);
  return linalg::topKOverBlocks(in.train.n, in.m, k, rows, workers,
                                [&](std::size_t, std::size_t first, std::size_t count, double* block) {
                                  scoreBlock(in, vLast, first, count, block);
                                });
}

}  // namespace tdakit::influence
