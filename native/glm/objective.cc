#include "objective.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "../common/error.h"

namespace tdakit::glm {

namespace {
// Above this fraction of nonzeros the dense BLAS kernels beat row-wise sparse loops.
constexpr double kSparseDensity = 0.2;
}  // namespace

std::shared_ptr<const DesignSummary> DesignSummary::build(const Design& a) {
  auto s = std::make_shared<DesignSummary>();
  s->sparse = SparseRows::build(a, kSparseDensity);
  s->rowNorms = s->sparse ? s->sparse->rowNorms() : a.rowNorms();
  return s;
}

Objective::Objective(const Problem& problem) : Objective(problem, DesignSummary::build(problem.design)) {}

Objective::Objective(const Problem& problem, std::shared_ptr<const DesignSummary> summary)
    : problem_(problem), summary_(std::move(summary)), sparse_(summary_->sparse.get()), rowNorms_(summary_->rowNorms) {
  checkMagnitudes(problem_.design, rowNorms_, problem_.weights);
}

void Objective::allMargins(const double* theta, double* z) const {
  const Design& a = problem_.design;
  if (!sparse_) return a.margins(theta, z);
  for (std::size_t i = 0; i < a.n; ++i) z[i] = sparse_->rowDot(i, theta);
}

void checkMagnitudes(const Design& a, const std::vector<double>& rowNorms, const double* weights) {
  for (std::size_t i = 0; i < a.n; ++i) {
    if (std::isfinite(rowNorms[i])) continue;
    double largest = 0.0;
    for (std::size_t k = 0; k < a.d; ++k) largest = std::fmax(largest, std::fabs(a.row(i)[k]));
    std::ostringstream msg;
    msg << "X: row " << i << " is too large for float64 arithmetic (its norm overflows; largest |x| = " << largest
        << ", a missing-value sentinel such as Number.MAX_VALUE?): impute or rescale X";
    throw NumericError(msg.str());
  }
  if (!weights) return;
  double total = 0.0, largest = 0.0;
  for (std::size_t i = 0; i < a.n; ++i) {
    total += weights[i];
    largest = std::fmax(largest, weights[i]);
  }
  if (!std::isfinite(total)) {
    std::ostringstream msg;
    msg << "weights: their sum overflows float64 (largest weight " << largest << "): rescale the weights";
    throw NumericError(msg.str());
  }
}

double Objective::penalty(const double* theta) const {
  const std::size_t d = problem_.design.d;  // the intercept (index d) is never penalised
  double s = 0.0;
  for (std::size_t k = 0; k < d; ++k) s += theta[k] * theta[k];
  double v = 0.5 * problem_.lambda * s;
  if (problem_.linear)
    for (std::size_t k = 0; k < problem_.p(); ++k) v += problem_.linear[k] * theta[k];
  return v;
}

double Objective::value(const double* theta) const {
  const Design& a = problem_.design;
  std::vector<double> z(a.n);
  allMargins(theta, z.data());
  double v = 0.0;
  for (std::size_t i = 0; i < a.n; ++i) {
    const double w = problem_.weight(i);
    if (w != 0.0) v += w * problem_.at(i, z[i]).loss;
  }
  return v + penalty(theta);
}

void Objective::evaluate(const double* theta, bool withHessian, Evaluation& out) const {
  const Design& a = problem_.design;
  const std::size_t p = a.p();
  out.margins.resize(a.n);
  out.gradient.assign(p, 0.0);
  std::vector<double> slope(a.n), curv(withHessian ? a.n : 0);
  double v = 0.0, scale = 0.0, curvatureMass = 0.0;
  // One pass over X per row block: the margins read the block, the gradient reads it again
  // while it is still in cache (the evaluation is memory-bound, not flop-bound).
  constexpr std::size_t kRows = 128;
  for (std::size_t first = 0; first < a.n; first += kRows) {
    const std::size_t count = std::min(kRows, a.n - first);
    if (sparse_)
      for (std::size_t i = first; i < first + count; ++i) out.margins[i] = sparse_->rowDot(i, theta);
    else
      a.marginsRange(first, count, theta, out.margins.data() + first);
    for (std::size_t i = first; i < first + count; ++i) {
      const double w = problem_.weight(i);
      const Pointwise pw = problem_.at(i, out.margins[i]);
      v += w == 0.0 ? 0.0 : w * pw.loss;
      slope[i] = w * pw.slope;
      scale += std::fabs(slope[i]) * rowNorms_[i];
      const double spread = w * pw.curvature * rowNorms_[i] * rowNorms_[i];
      curvatureMass += spread * spread;
      if (withHessian) curv[i] = w * pw.curvature;
    }
    if (sparse_)
      for (std::size_t i = first; i < first + count; ++i) {
        if (slope[i] != 0.0) sparse_->addRow(i, slope[i], out.gradient.data());
      }
    else
      a.addTransposeTimesRange(first, count, slope.data(), out.gradient.data());
  }
  out.value = v + penalty(theta);
  double pen = 0.0, lin = 0.0;
  for (std::size_t k = 0; k < a.d; ++k) {
    out.gradient[k] += problem_.lambda * theta[k];
    pen += theta[k] * theta[k];
  }
  if (problem_.linear)
    for (std::size_t k = 0; k < p; ++k) {
      out.gradient[k] += problem_.linear[k];
      lin += problem_.linear[k] * problem_.linear[k];
    }
  out.gradientScale = scale + problem_.lambda * std::sqrt(pen) + std::sqrt(lin);
  double thetaNorm = 0.0;
  for (std::size_t k = 0; k < p; ++k) thetaNorm += theta[k] * theta[k];
  out.marginRounding = std::sqrt(curvatureMass * thetaNorm);
  if (withHessian) {
    out.hessian.resize(p * p);
    a.weightedGram(curv.data(), 0.0, out.hessian.data());
    for (std::size_t k = 0; k < a.d; ++k) out.hessian[k + k * p] += problem_.lambda;
  }
}

void Objective::hessian(const double* theta, std::vector<double>& out, bool exact) const {
  const std::size_t p = problem_.p();
  const std::vector<double> c = curvatureWeights(theta, exact);
  out.resize(p * p);
  problem_.design.weightedGram(c.data(), 0.0, out.data());
  for (std::size_t k = 0; k < problem_.design.d; ++k) out[k + k * p] += problem_.lambda;
}

std::vector<double> Objective::curvatureWeights(const double* theta, bool exact, const Evaluation* at) const {
  const Design& a = problem_.design;
  std::vector<double> z, c(a.n);
  if (at && at->margins.size() == a.n) {
    z = at->margins;
  } else {
    z.resize(a.n);
    allMargins(theta, z.data());
  }
  for (std::size_t i = 0; i < a.n; ++i) {
    const Pointwise pw = problem_.at(i, z[i]);
    c[i] = problem_.weight(i) * (exact ? pw.exactCurvature : pw.curvature);
  }
  return c;
}

bool Objective::separated(const Evaluation& e) const {
  const Problem& pr = problem_;
  if (pr.family != Family::Logistic) return false;
  for (std::size_t i = 0; i < pr.design.n; ++i) {
    if (pr.weight(i) == 0.0) continue;
    if ((pr.y[i] > 0.5 ? e.margins[i] : -e.margins[i]) <= 0.0) return false;
  }
  return true;
}

void NewtonObjective::diagnose(const Evaluation& e, double rcond) const {
  if (separated(e)) {
    throw NumericError(
        "the training data are linearly separable (or all labels are equal), so the logistic loss has no "
        "finite minimiser without enough regularisation: set lambda > 0");
  }
  std::ostringstream msg;
  msg << "the Hessian is singular (reciprocal condition number " << rcond
      << "): some parameter direction has no curvature (linearly dependent or constant features, or "
         "fewer weighted examples than parameters); set lambda > 0";
  throw NumericError(msg.str());
}

}  // namespace tdakit::glm
