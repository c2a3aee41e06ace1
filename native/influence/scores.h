// Attribution scores S[i, j] = f_i * (u_i * a_i^T V_j + r_i * c_j) for training examples i
// and queries j, with V = H^{-1} (query target gradients) already solved (p x m), u_i the
// example's gradient coefficient (w_i dl_i/dz), f_i the RIF rescaling 1/(1-h_i) (1 for IF,
// possibly +Infinity), r_i the example's penalty share and c_j = (P theta)^T V_j (the
// per-example convention's penalty term; both null under 'fixed').
#pragma once
#include <cstddef>
#include <vector>

#include "../glm/design.h"
#include "../linalg/topk.h"

namespace tdakit::influence {

struct ScoreInputs {
  glm::Design train;
  const double* v = nullptr;  // p x m, column-major
  std::size_t m = 0;
  const double* rowCoef = nullptr;    // u, n
  const double* rowFactor = nullptr;  // f, n (null = 1)
  const double* rowShift = nullptr;   // r, n (null = 0 unless colOffset: then 1)
  const double* colOffset = nullptr;  // c, m (null = 0)
};

// Full n x m matrix, row-major (one row per training example).
void scoreMatrix(const ScoreInputs& in, double* out);

// The k largest and k most negative scores of every query, computed over blocks of training
// rows: memory O(m k + m block), never n x m.
linalg::TopK scoreTopK(const ScoreInputs& in, std::size_t k);

}  // namespace tdakit::influence
