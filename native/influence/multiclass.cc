#include "multiclass.h"

#include <algorithm>
#include <sstream>

#include "../common/error.h"
#include "../linalg/dense.h"

namespace tdakit::influence {

MulticlassHessian multinomialHessian(const glm::MultinomialProblem& problem, const double* theta) {
  if (problem.objective != glm::LogitObjective::CrossEntropy)
    throw ArgumentError("multinomialHessian: only the cross-entropy objective has influence kernels");
  MulticlassHessian out;
  glm::MultinomialObjective(problem).hessian(theta, out.hessian, true);
  const std::size_t P = problem.blocks() * problem.design.p();
  out.factor = out.hessian;
  const bool ok = linalg::cholesky(out.factor.data(), P, &out.rcond);
  if (!ok || out.rcond < linalg::singularRcond(P)) {
    std::ostringstream msg;
    msg << "the softmax Hessian is singular (reciprocal condition " << (ok ? out.rcond : 0.0)
        << "); use lambda > 0 or remove fewer examples";
    throw NumericError(msg.str());
  }
  return out;
}

std::vector<double> multinomialLeverageBlocks(const glm::Design& a, std::size_t classes, const double* factor) {
  if (classes < 2) throw ArgumentError("multinomialLeverageBlocks: classes must be >= 2");
  const std::size_t K = classes - 1, p = a.p(), P = K * p;
  std::vector<double> out(a.n * K * K, 0.0);
  // About 32 MiB of right-hand sides per block of examples.
  const std::size_t block = std::max<std::size_t>(1, std::min<std::size_t>(a.n, (std::size_t{4} << 20) / (K * P)));
  std::vector<double> rhs(block * K * P), rows(block * p);
  for (std::size_t first = 0; first < a.n; first += block) {
    const std::size_t count = std::min(block, a.n - first);
    a.gatherRange(first, count, nullptr, rows.data());
    std::fill(rhs.begin(), rhs.begin() + count * K * P, 0.0);
    // Column (j, c) of J^T is a_{first+j} placed in class block c.
    for (std::size_t j = 0; j < count; ++j)
      for (std::size_t c = 0; c < K; ++c)
        std::copy(rows.data() + j * p, rows.data() + (j + 1) * p, rhs.data() + (j * K + c) * P + c * p);
    linalg::triangularSolve(factor, P, rhs.data(), count * K, false);
    for (std::size_t j = 0; j < count; ++j) {
      double* m = out.data() + (first + j) * K * K;
      for (std::size_t r = 0; r < K; ++r) {
        const double* ur = rhs.data() + (j * K + r) * P;
        for (std::size_t c = 0; c <= r; ++c) {
          const double* uc = rhs.data() + (j * K + c) * P;
          double s = 0.0;
          for (std::size_t k = 0; k < P; ++k) s += ur[k] * uc[k];
          m[r * K + c] = m[c * K + r] = s;
        }
      }
    }
  }
  return out;
}

}  // namespace tdakit::influence
