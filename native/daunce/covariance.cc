#include "covariance.h"

#include <algorithm>
#include <vector>

#include "../linalg/blas.h"

namespace tdakit::daunce {

namespace {

// Rows per block: the count x m score block stays in the last-level cache share of a worker
// (about 2 MiB) while enough rows amortise BLAS's repacking of the queries in every call.
std::size_t blockRows(std::size_t m) {
  return std::clamp<std::size_t>((std::size_t{1} << 18) / std::max<std::size_t>(m, 1), 64, 1024);
}

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
// t is the worker's K x count scratch.
void fillBlock(const CovarianceInputs& in, const std::vector<double>& q, std::size_t first, std::size_t count,
               std::vector<double>& t, double* out) {
  const std::size_t K = in.models;
  t.resize(K * count);
  // Model-major rows are read contiguously; the centred columns are written K apart.
  for (std::size_t k = 0; k < K; ++k) {
    const double* losses = in.train + k * in.n + first;
    for (std::size_t r = 0; r < count; ++r) {
      const std::size_t i = first + r;
      t[k + r * K] = (losses[r] - in.trainMean[i]) * (in.trainScale ? in.trainScale[i] : 1.0);
    }
  }
  // out (m x count, column-major) = q^T t / (K - 1)
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<int>(in.m), static_cast<int>(count),
              static_cast<int>(K), 1.0 / static_cast<double>(K - 1), q.data(), static_cast<int>(K), t.data(),
              static_cast<int>(K), 0.0, out, static_cast<int>(in.m));
}

}  // namespace

void covarianceMatrix(const CovarianceInputs& in, double* out) {
  const std::vector<double> q = centredQueries(in);
  const std::size_t rows = blockRows(in.m);
  const std::size_t workers = linalg::kernelWorkers(linalg::blockCount(in.n, rows));
  std::vector<std::vector<double>> t(workers);
  linalg::forBlocksInParallel(in.n, rows, workers, [&](std::size_t w, std::size_t first, std::size_t count) {
    fillBlock(in, q, first, count, t[w], out + first * in.m);
  });
}

linalg::TopK covarianceTopK(const CovarianceInputs& in, std::size_t k) {
  const std::vector<double> q = centredQueries(in);
  const std::size_t rows = blockRows(in.m);
  const std::size_t workers = linalg::kernelWorkers(linalg::blockCount(in.n, rows));
  std::vector<std::vector<double>> t(workers);
  return linalg::topKOverBlocks(in.n, in.m, k, rows, workers,
                                [&](std::size_t w, std::size_t first, std::size_t count, double* block) {
                                  fillBlock(in, q, first, count, t[w], block);
                                });
}

}  // namespace tdakit::daunce
