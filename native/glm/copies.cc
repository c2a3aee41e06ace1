#include "copies.h"

#include <algorithm>

#include "../common/error.h"
#include "../linalg/blas.h"
#include "copy_newton.h"
#include "copy_pool.h"
#include "copy_rows.h"
#include "float_rows.h"
#include "objective.h"
#include "per_example.h"

namespace tdakit::glm {

namespace {

// Rows per parameter from which a copy takes preconditioned Newton-Krylov steps.
constexpr std::size_t kKrylovRowsPerParameter = 10;

// The reference factorisation: L L^T = wbar sum_i c_i(theta_0) a_i a_i^T + lambda P over all n
// rows, with c_i the family's curvature at theta_0 and wbar = referenceWeight (a copy's Hessian
// in expectation over its random subset). Empty when it is not positive definite.
std::vector<double> referenceFactor(const CopiesProblem& pr) {
  const Design& a = pr.design;
  const std::size_t n = a.n, p = a.p();
  std::vector<double> z(n);
  a.margins(pr.theta0, z.data());
  const double wbar = pr.referenceWeight;
  std::vector<double> c(n);
  for (std::size_t i = 0; i < n; ++i)
    c[i] = wbar * pointwise(pr.family, z[i], pr.y[i], pr.offset ? pr.offset[i] : 0.0).curvature;
  std::vector<double> m(p * p, 0.0);
  a.weightedGram(c.data(), 0.0, m.data());
  for (std::size_t k = 0; k < a.d; ++k) m[k + k * p] += pr.lambda;
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', static_cast<int>(p), m.data(), static_cast<int>(p)) != 0) return {};
  return m;
}

// The copy's rows gathered into a contiguous design, with their targets, offsets and weights.
struct CompactCopy : CopyRows {
  std::vector<double> linear;
  std::vector<float> rows32;    // the rows rounded to float32: large copies' products, small ones' Hessians
  std::vector<float> scaled32;  // scratch of the float32 Hessian builds
  Problem problem;
};

void compact(const CopiesProblem& pr, const CopySpec& s, CompactCopy& c) {
  const Design& a = pr.design;
  c.problem.design = gatherRows(a, pr.y, pr.offset, s, c);
  c.problem.family = pr.family;
  c.problem.y = c.y.data();
  c.problem.weights = c.weights.data();
  c.problem.lambda = pr.lambda;
  c.problem.offset = pr.offset ? c.offset.data() : nullptr;
  c.problem.linear = nullptr;
  if (s.coef) {
    c.linear.assign(a.p(), 0.0);
    c.problem.design.transposeTimes(s.coef, c.linear.data());
    c.problem.linear = c.linear.data();
  }
}

// `c` is the worker's buffer, reused from copy to copy: fresh tens of megabytes per copy cost
// more in page faults than the copy's Newton steps at n = 100,000.
CopyResult fitOne(const CopiesProblem& pr, const CopySpec& s, const std::vector<double>& factor, CompactCopy& c) {
  compact(pr, s, c);
  const std::shared_ptr<const DesignSummary> summary = DesignSummary::build(c.problem.design);
  const Objective objective(c.problem, summary);
  const int p = static_cast<int>(pr.design.p());
  FitOptions opt = pr.fit;
  opt.keepHessian = false;
  // The reference factor approximates a copy's Hessian only when the copy has many more rows
  // than parameters (the subset Hessian's spectrum, relative to the full one, spreads like
  // (1 +- sqrt(p / rows))^2); below that, conjugate gradients exceed their budget and fall back
  // to Newton after wasted products (measured: 1,000 x 180 at ratio 0.3), so damped Newton
  // (copy_newton.h) directly.
  const bool krylov = !factor.empty() && s.size >= kKrylovRowsPerParameter * pr.design.p();
  // Dense rows are also kept as float32 (float_rows.h): small copies build their Hessian factors
  // from them for the Newton and quasi-Newton directions, large copies' products read them (half
  // the memory traffic); the gradients stay float64.
  const bool rows32 = !summary->sparse && roundRows(c.problem.design, c.rows32);
  FitResult fit;
  if (!krylov) {
    const FloatFactorBuilder single = [&](const double* theta, const Evaluation& e, std::vector<float>& out) {
      return floatHessianFactor(c.problem.design, c.rows32, objective.curvatureWeights(theta, false, &e),
                                c.problem.lambda, c.scaled32, out);
    };
    fit =
        fitCopyNewton(objective, pr.theta0, opt, factor.empty() ? nullptr : factor.data(), rows32 ? &single : nullptr);
  } else {
    const auto solve = [&factor, p](double* b) { factorSolve(factor.data(), p, b); };
    fit = rows32 ? refitChord(Float32ProductsObjective(objective, c.rows32), pr.theta0, solve, opt)
                 : refitChord(objective, pr.theta0, solve, opt);
  }
  CopyResult out;
  out.newtonIterations = fit.newtonIterations;
  out.krylovIterations = fit.krylovIterations;
  out.theta = std::move(fit.theta);
  out.trainLoss = exampleTerms(pr.design, Family::Logistic, out.theta.data(), pr.labels, nullptr).loss;
  out.queryLoss = exampleTerms(pr.queries, Family::Logistic, out.theta.data(), pr.queryLabels, nullptr).loss;
  return out;
}

}  // namespace

std::vector<CopyResult> fitCopies(const CopiesProblem& pr, std::size_t threads, std::vector<double>* reference) {
  std::vector<CopyResult> out(pr.copies.size());
  if (pr.copies.empty()) return out;
  for (const CopySpec& s : pr.copies)
    if (s.size == 0) throw ArgumentError("a perturbed copy has no rows");
  SingleThreadedBlas blas;
  // The reference factor: Newton-Krylov's preconditioner for copies with many rows per parameter,
  // the first steps of the others (copy_newton.h).
  const std::vector<double> factor = batchReference(pr, referenceFactor, reference);
  forEachCopy<CompactCopy>(pr.copies.size(), threads, [&](std::size_t k, CompactCopy& buffer) {
    out[k] = fitOne(pr, pr.copies[k], factor, buffer);
  });
  return out;
}

}  // namespace tdakit::glm
