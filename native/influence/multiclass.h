// Influence kernels of multinomial (softmax) regression with C classes and K = C - 1 free
// class blocks (docs/multiclass-influence.md). Example i enters through its K logits
// z_i = J_i theta, J_i = I_K (x) a_i^T, so everything an influence analysis needs beyond
// K x K algebra is the exact Hessian and the blocks M_i = J_i H^{-1} J_i^T.
#pragma once
#include <cstddef>
#include <vector>

#include "../glm/multinomial.h"

namespace tdakit::influence {

struct MulticlassHessian {
  std::vector<double> hessian;  // K p x K p, column-major, both triangles
  std::vector<double> factor;   // lower Cholesky factor L (H = L L^T), column-major
  double rcond = 0.0;
};

// The exact Hessian sum_i w_i J_i^T W_i J_i + lambda P of the cross-entropy objective at theta
// (W_i = diag(p_i) - p_i p_i^T over the free classes), factored. Throws NumericError when it
// is not positive definite.
MulticlassHessian multinomialHessian(const glm::MultinomialProblem& problem, const double* theta);

// M_i = J_i H^{-1} J_i^T for every example (n blocks of K x K, row-major), from the lower
// factor L of H: M_i[r][c] = (L^{-1} J_i^T e_r)^T (L^{-1} J_i^T e_c). Blocked triangular
// solves over the examples; H^{-1} is never formed.
std::vector<double> multinomialLeverageBlocks(const glm::Design& a, std::size_t classes, const double* factor);

}  // namespace tdakit::influence
