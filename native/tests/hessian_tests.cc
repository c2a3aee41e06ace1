// The penalised Hessian and its factorisation against naive loops: H = sum_i c_i a_i a_i^T +
// lambda on the feature diagonal (intercept unpenalised), L L^T = H with L lower triangular, a
// singular Hessian rejected with NumericError, and overflow-safe sizes.
#include <cstdint>
#include <limits>

#include "../common/checked.h"
#include "../common/error.h"
#include "../glm/design.h"
#include "../influence/hessian.h"
#include "support.h"

using namespace tdakit;
using test::check;

int main() {
  const std::size_t n = 60, d = 4, p = d + 1;
  const std::vector<double> x = test::normals(n * d, 11);
  std::vector<double> c = test::normals(n, 12);
  for (double& v : c) v = v * v;  // non-negative Hessian weights
  const double lambda = 0.7;
  const glm::Design a{x.data(), n, d, true};

  const std::vector<double> h = influence::penalizedHessian(a, c.data(), lambda);
  std::vector<double> naive(p * p, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double> ai = test::designRow(x, d, i, true);
    for (std::size_t r = 0; r < p; ++r)
      for (std::size_t k = 0; k < p; ++k) naive[r + k * p] += c[i] * ai[r] * ai[k];
  }
  for (std::size_t k = 0; k < d; ++k) naive[k + k * p] += lambda;  // not the intercept (k = d)
  check(test::maxAbsDiff(h, naive) < 1e-12, "penalizedHessian equals the naive sum plus lambda P",
        test::maxAbsDiff(h, naive));

  const influence::Factorization f = influence::factorHessian(h, p);
  std::vector<double> llt(p * p, 0.0);
  double upper = 0.0;
  for (std::size_t r = 0; r < p; ++r)
    for (std::size_t k = 0; k < p; ++k) {
      if (r < k) upper = std::fmax(upper, std::fabs(f.factor[r + k * p]));
      for (std::size_t j = 0; j < p; ++j) llt[r + k * p] += f.factor[r + j * p] * f.factor[k + j * p];
    }
  check(test::maxAbsDiff(llt, naive) < 1e-12, "L L^T reproduces the Hessian", test::maxAbsDiff(llt, naive));
  check(upper == 0.0, "the factor's strict upper triangle is zero", upper);
  check(f.rcond > 0.0 && f.rcond <= 1.0 && test::maxAbsDiff(f.hessian, h) == 0.0,
        "factorHessian returns the Hessian and a condition estimate in (0, 1]", f.rcond);

  // Rank-deficient: a duplicated column and no penalty.
  std::vector<double> dup(n * 2);
  for (std::size_t i = 0; i < n; ++i) dup[2 * i] = dup[2 * i + 1] = x[i * d];
  const glm::Design twin{dup.data(), n, 2, false};
  bool singular = false;
  try {
    influence::factorHessian(influence::penalizedHessian(twin, c.data(), 0.0), 2);
  } catch (const NumericError&) {
    singular = true;
  }
  check(singular, "a singular Hessian throws NumericError", 0.0);

  bool overflow = false;
  try {
    checkedMul(std::numeric_limits<std::size_t>::max() / 2, 3, "test");
  } catch (const MemoryError&) {
    overflow = true;
  }
  check(overflow && checkedMul(1u << 20, 1u << 20, "test") == (std::size_t{1} << 40),
        "checkedMul rejects an overflowing product and keeps exact ones", 0.0);
  bool tooLarge = false;
  try {
    checkAllocation(std::size_t{1} << 60, 8, "test");
  } catch (const MemoryError&) {
    tooLarge = true;
  }
  check(tooLarge, "checkAllocation rejects a request larger than physical memory", 0.0);
  return test::finish();
}
