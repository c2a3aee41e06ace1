#include "reduced_hessian.h"

#include <cmath>
#include <sstream>

#include "../common/error.h"
#include "../linalg/blas.h"
#include "../linalg/dense.h"

namespace tdakit::influence {

namespace {
[[noreturn]] void singular(double rcond) {
  std::ostringstream msg;
  msg << "the Hessian without the removed examples is singular (reciprocal condition number " << rcond
      << "): the remaining data leave some direction without curvature; set lambda > 0";
  throw NumericError(msg.str());
}
}  // namespace

ReducedHessian::ReducedHessian(const glm::Design& a, const double* h, const double* l, const std::size_t* rows,
                               const double* coef, std::size_t k, double shift)
    : p_(a.p()), l_(l) {
  bool onlyRemovals = shift == 0.0;
  for (std::size_t j = 0; j < k && onlyRemovals; ++j) onlyRemovals = coef[j] <= 0.0;
  woodbury_ = onlyRemovals && k < p_;
  const int p = static_cast<int>(p_);
  if (woodbury_) {
    k_ = k;
    if (k == 0) return;
    std::vector<double> scale(k);
    for (std::size_t j = 0; j < k; ++j) scale[j] = std::sqrt(-coef[j]);
    u_.resize(p_ * k);
    a.gatherColumns(rows, k, scale.data(), u_.data());
    y_ = u_;
    linalg::triangularSolve(l, p_, y_.data(), k, false);  // W = L^{-1} u
    inner_.assign(k * k, 0.0);
    for (std::size_t j = 0; j < k; ++j) inner_[j + j * k] = 1.0;
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, static_cast<int>(k), p, -1.0, y_.data(), p, 1.0, inner_.data(),
                static_cast<int>(k));
    linalg::symmetrizeFromLower(inner_.data(), k);
    double rcond = 0.0;
    // I - W^T W is positive definite exactly when M is (Sylvester's determinant identity). Its
    // diagonal 1 - ||w_j||^2 is what removing row j leaves of H's curvature along u_j: at most
    // singularRcond it is rounding whatever its sign (which the factorisation's summation order
    // decides), so M is singular to working precision.
    for (std::size_t j = 0; j < k; ++j)
      if (!(inner_[j + j * k] > linalg::singularRcond(p_))) singular(inner_[j + j * k]);
    if (!linalg::cholesky(inner_.data(), k, &rcond) || rcond < linalg::singularRcond(p_)) singular(rcond);
    linalg::triangularSolve(l, p_, y_.data(), k, true);  // Y = L^{-T} W = H^{-1} u
    return;
  }
  factor_.assign(h, h + p_ * p_);
  if (k > 0) {
    std::vector<double> neg, pos;
    std::vector<std::size_t> negRows, posRows;
    for (std::size_t j = 0; j < k; ++j) {
      if (coef[j] < 0) {
        negRows.push_back(rows[j]);
        neg.push_back(std::sqrt(-coef[j]));
      } else if (coef[j] > 0) {
        posRows.push_back(rows[j]);
        pos.push_back(std::sqrt(coef[j]));
      }
    }
    std::vector<double> cols;
    for (int sign : {-1, 1}) {
      auto& r = sign < 0 ? negRows : posRows;
      auto& s = sign < 0 ? neg : pos;
      if (r.empty()) continue;
      cols.resize(p_ * r.size());
      a.gatherColumns(r.data(), r.size(), s.data(), cols.data());
      cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, p, static_cast<int>(r.size()), static_cast<double>(sign),
                  cols.data(), p, 1.0, factor_.data(), p);
    }
  }
  for (std::size_t j = 0; j < a.d; ++j) factor_[j + j * p_] -= shift;
  linalg::symmetrizeFromLower(factor_.data(), p_);
  double rcond = 0.0;
  if (!linalg::cholesky(factor_.data(), p_, &rcond) || rcond < linalg::singularRcond(p_)) singular(rcond);
}

void ReducedHessian::apply(double* b) const {
  if (!woodbury_) {
    linalg::choleskySolveVector(factor_.data(), p_, b);
    return;
  }
  linalg::choleskySolveVector(l_, p_, b);  // x = H^{-1} b
  if (k_ == 0) return;
  // M^{-1} b = x + Y (I - u^T H^{-1} u)^{-1} u^T x
  const int p = static_cast<int>(p_), k = static_cast<int>(k_);
  std::vector<double> t(k_);
  cblas_dgemv(CblasColMajor, CblasTrans, p, k, 1.0, u_.data(), p, b, 1, 0.0, t.data(), 1);
  linalg::choleskySolve(inner_.data(), k_, t.data(), 1);
  cblas_dgemv(CblasColMajor, CblasNoTrans, p, k, 1.0, y_.data(), p, t.data(), 1, 1.0, b, 1);
}

}  // namespace tdakit::influence
