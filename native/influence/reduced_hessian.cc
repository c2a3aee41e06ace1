#include "reduced_hessian.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>
#include <utility>

#include "../common/error.h"
#include "../linalg/blas.h"
#include "../linalg/dense.h"
#include "float_columns.h"

namespace tdakit::influence {

namespace {
[[noreturn]] void singular(double rcond) {
  std::ostringstream msg;
  msg << "the Hessian without the removed examples is singular (reciprocal condition number " << rcond
      << "): the remaining data leave some direction without curvature; set lambda > 0";
  throw NumericError(msg.str());
}
}  // namespace

bool ReducedHessian::woodburyApplies(const double* coef, std::size_t k, std::size_t p, double shift) {
  bool onlyRemovals = shift == 0.0;
  for (std::size_t j = 0; j < k && onlyRemovals; ++j) onlyRemovals = coef[j] <= 0.0;
  return onlyRemovals && k < p;
}

double ReducedHessian::formingFlops(const double* coef, std::size_t k, std::size_t p, double shift) {
  if (woodburyApplies(coef, k, p, shift)) return 0.0;
  const double q = static_cast<double>(p), m = static_cast<double>(k);
  return m * q * q + q * q * q / 3.0;
}

std::vector<std::size_t> ReducedHessian::leveragedChanges(const glm::Design& a, const double* h,
                                                          const std::size_t* rows, const double* coef, std::size_t k,
                                                          double cut) {
  const std::size_t p = a.p();
  std::vector<double> inverseDiagonal(p);
  for (std::size_t i = 0; i < p; ++i) inverseDiagonal[i] = 1.0 / h[i + i * p];
  std::vector<std::size_t> kept;
  for (std::size_t j = 0; j < k; ++j) {
    const double* r = a.row(rows[j]);
    double s = a.intercept ? inverseDiagonal[a.d] : 0.0;
    for (std::size_t i = 0; i < a.d; ++i) s += r[i] * r[i] * inverseDiagonal[i];
    // Not `<= cut`: a NaN estimate keeps the row (and the exact path then reports it).
    if (!(std::fabs(coef[j]) * s <= cut)) kept.push_back(j);
  }
  return kept;
}

ReducedHessian ReducedHessian::preconditioner(const glm::Design& a, const double* h, const double* l,
                                              const std::size_t* rows, const double* coef, std::size_t k, double shift,
                                              double cut, std::shared_ptr<const PackedFactor> packedReference) {
  if (!woodburyApplies(coef, k, a.p(), shift))
    return ReducedHessian(a, h, l, rows, coef, k, shift, std::move(packedReference));
  const std::vector<std::size_t> kept = leveragedChanges(a, h, rows, coef, k, cut);
  std::vector<std::size_t> keptRows(kept.size());
  std::vector<double> keptCoef(kept.size());
  for (std::size_t j = 0; j < kept.size(); ++j) {
    keptRows[j] = rows[kept[j]];
    keptCoef[j] = coef[kept[j]];
  }
  return ReducedHessian(a, h, l, keptRows.data(), keptCoef.data(), kept.size(), shift, std::move(packedReference));
}

ReducedHessian::ReducedHessian(const glm::Design& a, const double* h, const double* l, const std::size_t* rows,
                               const double* coef, std::size_t k, double shift,
                               std::shared_ptr<const PackedFactor> packedReference)
    : p_(a.p()), l_(l) {
  woodbury_ = woodburyApplies(coef, k, p_, shift);
  if (woodbury_) packed_ = std::move(packedReference);
  const int p = static_cast<int>(p_);
  if (woodbury_) {
    k_ = k;
    if (k == 0) return;
    std::vector<double> scale(k);
    for (std::size_t j = 0; j < k; ++j) scale[j] = std::sqrt(-coef[j]);
    w_.resize(p_ * k);
    a.gatherColumns(rows, k, scale.data(), w_.data());
    linalg::triangularSolve(l, p_, w_.data(), k, false);  // W = L^{-1} u
    inner_.assign(k * k, 0.0);
    for (std::size_t j = 0; j < k; ++j) inner_[j + j * k] = 1.0;
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, static_cast<int>(k), p, -1.0, w_.data(), p, 1.0, inner_.data(),
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

namespace {
// b <- (L L^T)^{-1} b by two triangular solves (dtrsv: a single right-hand side through dtrsm,
// as dpotrs does, runs several times slower).
void solveFactor(const double* l, std::size_t p, double* b, CBLAS_TRANSPOSE first) {
  const int n = static_cast<int>(p);
  cblas_dtrsv(CblasColMajor, CblasLower, first, CblasNonUnit, n, l, n, b, 1);
}
}  // namespace

template <typename T>
void ReducedHessian::woodburyMiddle(const T* w, double* z) const {
  // (I - W W^T)^{-1} z = z + W S^{-1} W^T z.
  const int p = static_cast<int>(p_), k = static_cast<int>(k_);
  std::vector<double> t(k_);
  if constexpr (std::is_same_v<T, double>) {
    cblas_dgemv(CblasColMajor, CblasTrans, p, k, 1.0, w, p, z, 1, 0.0, t.data(), 1);
  } else {
    columnDots(w, p_, k_, z, t.data());  // float32 W, float64 sums
  }
  solveFactor(inner_.data(), k_, t.data(), CblasNoTrans);
  solveFactor(inner_.data(), k_, t.data(), CblasTrans);
  if constexpr (std::is_same_v<T, double>) {
    cblas_dgemv(CblasColMajor, CblasNoTrans, p, k, 1.0, w, p, t.data(), 1, 1.0, z, 1);
  } else {
    addColumns(w, p_, k_, t.data(), z);
  }
}

void ReducedHessian::apply(double* b) const {
  // M = L (I - W W^T) L^T (Woodbury) or M = F F^T (direct).
  const double* l = woodbury_ ? l_ : factor_.data();
  solveFactor(l, p_, b, CblasNoTrans);
  if (woodbury_ && k_ > 0) woodburyMiddle(w_.data(), b);
  solveFactor(l, p_, b, CblasTrans);
}

void ReducedHessian::precondition(double* b) const {
  if (!packedBuilt_) {
    if (!packed_) packed_ = std::make_shared<const PackedFactor>(woodbury_ ? l_ : factor_.data(), p_);
    w32_.assign(w_.begin(), w_.end());
    packedBuilt_ = true;
  }
  if (packed_->usable()) {
    std::vector<double> z(b, b + p_);
    if (packed_->forward(z.data())) {
      if (woodbury_ && k_ > 0) woodburyMiddle(w32_.data(), z.data());
      if (packed_->backward(z.data())) {
        std::copy(z.begin(), z.end(), b);
        return;
      }
    }
  }
  apply(b);  // out of float32's range
}

}  // namespace tdakit::influence
