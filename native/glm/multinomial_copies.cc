#include "multinomial_copies.h"

#include <algorithm>
#include <cmath>

#include "../common/error.h"
#include "../linalg/blas.h"
#include "copy_newton.h"
#include "copy_pool.h"
#include "copy_rows.h"
#include "newton.h"

namespace tdakit::glm {

namespace {

// Rows per parameter from which a copy takes chord steps with the reference factor: below it the
// subset's curvature is too far from the full data's for the chord to gain 2x per step (the
// same threshold as the binary copies, copies.cc).
constexpr std::size_t kChordRowsPerParameter = 10;

// L L^T = the Hessian (its PSD bound for the squared objectives) at theta_0 of the objective over
// all n rows, each weighted referenceWeight: a copy's curvature in expectation over its random
// subset. Empty when it is not positive definite.
std::vector<double> referenceFactor(const MultinomialCopiesProblem& pr) {
  const std::vector<double> weights(pr.design.n, pr.referenceWeight);
  MultinomialProblem full;
  full.design = pr.design;
  full.classes = pr.classes;
  full.y = pr.y;
  full.weights = weights.data();
  full.lambda = pr.lambda;
  full.offset = pr.offset;
  full.objective = pr.objective;
  const MultinomialObjective objective(full);
  std::vector<double> m;
  objective.hessian(pr.theta0, m);
  const int P = static_cast<int>(objective.parameters());
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', P, m.data(), P) != 0) return {};
  return m;
}

// The copy's rows gathered into a contiguous design, with their labels, offsets, weights and the
// linear term, reused from copy to copy by a worker.
struct CompactMultinomialCopy : CopyRows {
  std::vector<double> linear, column;
  MultinomialProblem problem;
};

void compact(const MultinomialCopiesProblem& pr, const CopySpec& s, CompactMultinomialCopy& c) {
  const Design& a = pr.design;
  const std::size_t m = s.size, K = pr.classes - 1, p = a.p();
  MultinomialProblem& q = c.problem;
  q.design = gatherRows(a, pr.y, pr.offset, s, c);
  q.classes = pr.classes;
  q.y = c.y.data();
  q.weights = c.weights.data();
  q.lambda = pr.lambda;
  q.offset = pr.offset ? c.offset.data() : nullptr;
  q.objective = pr.objective;
  q.linear = nullptr;
  if (s.coef) {
    // Block c of the linear term is A_D^T coef_{., c}, a sum over the copy's rows in their order.
    c.linear.assign(K * p, 0.0);
    c.column.resize(m);
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t j = 0; j < m; ++j) c.column[j] = s.coef[j * K + k];
      q.design.transposeTimes(c.column.data(), c.linear.data() + k * p);
    }
    q.linear = c.linear.data();
  }
}

CopyResult fitOne(const MultinomialCopiesProblem& pr, const CopySpec& s, const std::vector<double>& factor,
                  CompactMultinomialCopy& c) {
  compact(pr, s, c);
  const MultinomialObjective objective(c.problem);
  const std::size_t P = objective.parameters();
  FitOptions opt = pr.fit;
  opt.keepHessian = false;
  const bool chord = !factor.empty() && s.size >= kChordRowsPerParameter * P;
  const int n = static_cast<int>(P);
  FitResult fit = !chord
                      ? fitCopyNewton(objective, pr.theta0, opt, factor.empty() ? nullptr : factor.data())
                      : refitChord(
                            objective, pr.theta0, [&factor, n](double* b) { factorSolve(factor.data(), n, b); }, opt);
  CopyResult out;
  out.newtonIterations = fit.newtonIterations;
  out.krylovIterations = fit.chordIterations;
  out.theta = std::move(fit.theta);
  out.trainLoss = crossEntropies(pr.design, pr.classes, out.theta.data(), pr.y);
  out.queryLoss = crossEntropies(pr.queries, pr.classes, out.theta.data(), pr.queryLabels);
  return out;
}

}  // namespace

std::vector<double> crossEntropies(const Design& a, std::size_t classes, const double* theta, const double* y) {
  std::vector<double> z(a.n * classes), out(a.n);
  referenceLogits(a, classes, theta, z.data());
  for (std::size_t i = 0; i < a.n; ++i) {
    const double* row = z.data() + i * classes;
    const double top = *std::max_element(row, row + classes);
    double s = 0.0;
    for (std::size_t c = 0; c < classes; ++c) s += std::exp(row[c] - top);
    out[i] = top + std::log(s) - row[static_cast<std::size_t>(y[i])];
  }
  return out;
}

std::vector<CopyResult> fitMultinomialCopies(const MultinomialCopiesProblem& pr, std::size_t threads,
                                             std::vector<double>* reference) {
  std::vector<CopyResult> out(pr.copies.size());
  if (pr.copies.empty()) return out;
  if (pr.classes < 2) throw ArgumentError("a softmax regression needs at least 2 classes");
  for (const CopySpec& s : pr.copies)
    if (s.size == 0) throw ArgumentError("a perturbed copy has no rows");
  SingleThreadedBlas blas;
  // The reference factor: chord steps' for large copies, the first quasi-Newton steps' of the
  // others (copy_newton.h).
  const std::vector<double> factor = batchReference(pr, referenceFactor, reference);
  forEachCopy<CompactMultinomialCopy>(pr.copies.size(), threads, [&](std::size_t k, CompactMultinomialCopy& buffer) {
    out[k] = fitOne(pr, pr.copies[k], factor, buffer);
  });
  return out;
}

}  // namespace tdakit::glm
