// Daunce scores from perturbed models' losses (docs/methods.md section 4):
//   cov(i, q) = 1/(K-1) sum_k (L_i^k - mean_i)(L_q^k - mean_q)
// and the correlation (cov divided by both standard deviations). Losses are stored
// model-major (row k holds every example's loss under model k, as the models arrive); the
// centred K-vectors multiply as one GEMM per block of training examples.
#pragma once
#include <cstddef>

#include "../linalg/topk.h"

namespace tdakit::daunce {

struct CovarianceInputs {
  const double* train = nullptr;  // K x n, row-major (model-major)
  std::size_t n = 0;
  const double* query = nullptr;  // K x m, row-major
  std::size_t m = 0;
  std::size_t models = 0;              // K >= 2
  const double* trainMean = nullptr;   // n
  const double* queryMean = nullptr;   // m
  const double* trainScale = nullptr;  // n: 1/std for correlation (0 for zero variance); null = 1
  const double* queryScale = nullptr;  // m: likewise
};

// Full n x m matrix, row-major.
void covarianceMatrix(const CovarianceInputs& in, double* out);

// Top-k and bottom-k per query over blocks of training examples.
linalg::TopK covarianceTopK(const CovarianceInputs& in, std::size_t k);

}  // namespace tdakit::daunce
