#include "hessian.h"

#include <string>

#include "../common/checked.h"
#include "../common/error.h"
#include "../linalg/dense.h"

namespace tdakit::influence {

std::vector<double> penalizedHessian(const glm::Design& a, const double* c, double lambda) {
  const std::size_t p = a.p();
  std::vector<double> h(checkedMul(p, p, "the Hessian"));
  a.weightedGram(c, 0.0, h.data());
  for (std::size_t k = 0; k < a.d; ++k) h[k + k * p] += lambda;
  return h;
}

Factorization factorHessian(std::vector<double> hessian, std::size_t p) {
  Factorization f;
  f.factor = hessian;
  const bool ok = linalg::cholesky(f.factor.data(), p, &f.rcond);
  if (!ok || f.rcond < linalg::singularRcond(p))
    throw NumericError("the Hessian at the fit is singular (reciprocal condition number " + std::to_string(f.rcond) +
                       "); set lambda > 0");
  for (std::size_t j = 0; j < p; ++j)
    for (std::size_t i = 0; i < j; ++i) f.factor[i + j * p] = 0.0;
  f.hessian = std::move(hessian);
  return f;
}

}  // namespace tdakit::influence
