#include "scores.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../linalg/blas.h"

namespace tdakit::influence {

namespace {

constexpr std::size_t kBlock = 256;

// An infinite factor (leverage 1) must give +-Infinity, or 0 when the raw score is 0, never NaN.
inline double rescale(double raw, double f) {
  if (std::isinf(f)) return raw == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), raw);
  return raw * f;
}

// Computes the scores of training rows [first, first+count) against every query into
// block (m x count column-major = count x m row-major).
void scoreBlock(const ScoreInputs& in, std::size_t first, std::size_t count, std::vector<double>& cols,
                double* block) {
  const std::size_t p = in.train.p();
  in.train.gatherRange(first, count, nullptr, cols.data());
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<int>(in.m), static_cast<int>(count),
              static_cast<int>(p), 1.0, in.v, static_cast<int>(p), cols.data(), static_cast<int>(p), 0.0,
              block, static_cast<int>(in.m));
  for (std::size_t r = 0; r < count; ++r) {
    const std::size_t i = first + r;
    const double u = in.rowCoef[i];
    const double f = in.rowFactor ? in.rowFactor[i] : 1.0;
    const double shift = in.colOffset ? (in.rowShift ? in.rowShift[i] : 1.0) : 0.0;
    double* row = block + r * in.m;
    for (std::size_t j = 0; j < in.m; ++j)
      row[j] = rescale(u * row[j] + (shift != 0.0 ? shift * in.colOffset[j] : 0.0), f);
  }
}

}  // namespace

void scoreMatrix(const ScoreInputs& in, double* out) {
  const std::size_t n = in.train.n;
  std::vector<double> cols(std::min(n, kBlock) * in.train.p());
  for (std::size_t first = 0; first < n; first += kBlock) {
    const std::size_t count = std::min(kBlock, n - first);
    scoreBlock(in, first, count, cols, out + first * in.m);
  }
}

linalg::TopK scoreTopK(const ScoreInputs& in, std::size_t k) {
  std::vector<double> cols(std::min(in.train.n, kBlock) * in.train.p());
  return linalg::topKOverBlocks(in.train.n, in.m, k, kBlock, [&](std::size_t first, std::size_t count, double* block) {
    scoreBlock(in, first, count, cols, block);
  });
}

}  // namespace tdakit::influence
