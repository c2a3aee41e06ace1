#include "covariance.h"

#include <algorithm>
#include <vector>

#include "../linalg/blas.h"

namespace tdakit::daunce {

namespace {

constexpr std::size_t kBlock = 512;

// Centred, scaled queries as a K x m column-major matrix (query j's K losses contiguous).
std::vector<double> centredQueries(const CovarianceInputs& in) {
  std::vector<double> q(in.models * in.m);
  for (std::size_t k = 0; k < in.models; ++k)
    for (std::size_t j = 0; j < in.m; ++j) {
      const double s = in.queryScale ? in.queryScale[j] : 1.0;
      q[k + j * in.models] = (in.query[k * in.m + j] - in.queryMean[j]) * s;
    }
  return q;
}

// Scores of training examples [first, first+count) against all queries: count x m row-major.
void fillBlock(const CovarianceInputs& in, const std::vector<double>& q, std::size_t first, std::size_t count,
               std::vector<double>& t, double* out) {
  const std::size_t K = in.models;
  for (std::size_t r = 0; r < count; ++r) {
    const std::size_t i = first + r;
    const double s = in.trainScale ? in.trainScale[i] : 1.0;
    const double mu = in.trainMean[i];
    for (std::size_t k = 0; k < K; ++k) t[k + r * K] = (in.train[k * in.n + i] - mu) * s;
  }
  // out (m x count, column-major) = q^T t / (K - 1)
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<int>(in.m), static_cast<int>(count),
              static_cast<int>(K), 1.0 / static_cast<double>(K - 1), q.data(), static_cast<int>(K), t.data(),
              static_cast<int>(K), 0.0, out, static_cast<int>(in.m));
}

}  // namespace

void covarianceMatrix(const CovarianceInputs& in, double* out) {
  const std::vector<double> q = centredQueries(in);
  std::vector<double> t(in.models * std::min(in.n, kBlock));
  for (std::size_t first = 0; first < in.n; first += kBlock) {
    const std::size_t count = std::min(kBlock, in.n - first);
    fillBlock(in, q, first, count, t, out + first * in.m);
  }
}

linalg::TopK covarianceTopK(const CovarianceInputs& in, std::size_t k) {
  const std::vector<double> q = centredQueries(in);
  std::vector<double> t(in.models * std::min(in.n, kBlock));
  return linalg::topKOverBlocks(in.n, in.m, k, kBlock, [&](std::size_t first, std::size_t count, double* block) {
    fillBlock(in, q, first, count, t, block);
  });
}

}  // namespace tdakit::daunce
