// M = H + sum_j c_j a_{r_j} a_{r_j}^T - shift * P, the Hessian after changing the weights of
// a few examples (c_j < 0 removes) and shrinking the penalty (the per-example convention),
// applied as M^{-1} b. Woodbury on the stored factor of H (k x k system) when only
// removals change and k < p; otherwise M is formed and refactored.
#pragma once
#include <cstddef>
#include <vector>

#include "../glm/design.h"

namespace tdakit::influence {

class ReducedHessian {
 public:
  // h: H (p x p, column-major, both triangles); l: its Cholesky factor; rows/coef: k changes;
  // shift: subtracted from the penalised (non-intercept) diagonal.
  ReducedHessian(const glm::Design& a, const double* h, const double* l, const std::size_t* rows, const double* coef,
                 std::size_t k, double shift);

  void apply(double* b) const;
  bool usesWoodbury() const { return woodbury_; }

 private:
  std::size_t p_;
  const double* l_;
  bool woodbury_ = false;
  std::size_t k_ = 0;
  std::vector<double> u_;       // p x k: columns sqrt(-c_j) a_j (Woodbury)
  std::vector<double> y_;       // p x k: H^{-1} u (Woodbury)
  std::vector<double> inner_;   // k x k: Cholesky of I - u^T H^{-1} u (Woodbury)
  std::vector<double> factor_;  // p x p: Cholesky of M (direct)
};

}  // namespace tdakit::influence
