// Tests of the Newton-Krylov refit core without Node: conjugate gradients on a GLM's Hessian
// operator solve H d = -g as a Cholesky solve of the built Hessian does; the operator equals the
// built Hessian times v on dense and sparse X; a refit without 5% of the examples equals a fresh
// Newton fit with those weights and builds no Hessian.
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "../glm/krylov.h"
#include "../glm/newton.h"
#include "../glm/objective.h"
#include "../influence/reduced_hessian.h"
#include "../linalg/dense.h"

using namespace tdakit;

static int failures = 0;
static void check(bool ok, const char* what, double value) {
  std::printf("%s %s (%.3e)\n", ok ? "ok" : "FAIL", what, value);
  if (!ok) ++failures;
}

static double relDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0.0, den = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    num = std::fmax(num, std::fabs(a[k] - b[k]));
    den = std::fmax(den, std::fabs(b[k]));
  }
  return num / den;
}

static void run(double density, const char* label) {
  const std::size_t n = 400, d = 30, p = d + 1;
  std::mt19937 gen(11);
  std::uniform_real_distribution<double> unif;
  std::vector<double> x(n * d, 0.0), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    double z = -0.1;
    for (std::size_t j = 0; j < d; ++j)
      if (unif(gen) < density) z += (j % 2 ? 1.0 : -0.7) * (x[i * d + j] = 1.0 + unif(gen));
    y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-z)) ? 1.0 : 0.0;
  }
  glm::Problem pr;
  pr.design = {x.data(), n, d, true};
  pr.family = glm::Family::Logistic;
  pr.y = y.data();
  pr.lambda = 0.05;
  glm::FitOptions opt;
  const glm::FitResult fit = glm::fitNewton(glm::Objective(pr), nullptr, opt);

  // The operator equals the built Hessian at a point away from the optimum.
  std::vector<double> theta(fit.theta), v(p), hv(p), built;
  for (std::size_t k = 0; k < p; ++k) {
    theta[k] += 0.3 * (unif(gen) - 0.5);
    v[k] = unif(gen) - 0.5;
  }
  glm::Objective objective(pr);
  objective.hessian(theta.data(), built);
  objective.hessianOperator(theta.data())->apply(v.data(), hv.data());
  std::vector<double> ref(p, 0.0);
  for (std::size_t r = 0; r < p; ++r)
    for (std::size_t c = 0; c < p; ++c) ref[r] += built[r + c * p] * v[c];
  std::printf("[%s]\n", label);
  check(relDiff(hv, ref) < 1e-13, "Hessian-vector product equals the built Hessian", relDiff(hv, ref));

  // CG (preconditioned by the Hessian at the optimum) solves H d = -g like Cholesky does.
  glm::Evaluation e;
  objective.evaluate(theta.data(), false, e);
  std::vector<double> factor(fit.hessian);
  double rcond = 0.0;
  linalg::cholesky(factor.data(), p, &rcond);
  std::vector<double> direct(e.gradient);
  for (double& g : direct) g = -g;
  std::vector<double> chol(built);
  linalg::cholesky(chol.data(), p, &rcond);
  linalg::choleskySolve(chol.data(), p, direct.data(), 1);
  const glm::KrylovStep step = glm::conjugateGradients(
      *objective.hessianOperator(theta.data()), [&](double* b) { linalg::choleskySolve(factor.data(), p, b, 1); },
      e.gradient, 1e-13, 200);
  check(step.solved && relDiff(step.direction, direct) < 1e-9, "PCG direction equals the Cholesky Newton step",
        relDiff(step.direction, direct));

  // A refit without 5% of the examples equals a fresh weighted fit, with no Hessian built.
  std::vector<double> w(n, 1.0), curvature = objective.curvatureWeights(fit.theta.data());
  std::vector<std::size_t> rows;
  std::vector<double> coef;
  for (std::size_t i = 0; i < n; i += 20) {
    w[i] = 0.0;
    rows.push_back(i);
    coef.push_back(-curvature[i]);
  }
  glm::Problem reduced = pr;
  reduced.weights = w.data();
  influence::ReducedHessian m(pr.design, fit.hessian.data(), factor.data(), rows.data(), coef.data(), rows.size(), 0.0);
  const glm::FitResult refit = glm::refitChord(
      glm::Objective(reduced), fit.theta.data(), [&m](double* b) { m.apply(b); }, opt);
  const glm::FitResult fresh = glm::fitNewton(glm::Objective(reduced), nullptr, opt);
  check(refit.newtonIterations == 0 && refit.krylovIterations > 0, "refit took Newton-Krylov steps only",
        refit.krylovIterations);
  check(refit.gradientNorm <= opt.tol * refit.gradientScale, "refit reached the tolerance", refit.gradientNorm);
  check(relDiff(refit.theta, fresh.theta) < 1e-10, "refit equals a fresh weighted fit",
        relDiff(refit.theta, fresh.theta));
}

// A Gaussian design large enough that products are split over row ranges in blocks and the fit
// starts with Jacobi-preconditioned Newton-Krylov steps: the blocked product (contiguous and
// gathered active rows) and diag H equal the built Hessian, and the fit equals plain Newton and
// zeroes a gradient computed here by plain loops.
static void large() {
  const std::size_t n = 3000, d = 700, p = d + 1;
  std::mt19937 gen(5);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  std::vector<double> x(n * d), y(n), w(n);
  for (double& v : x) v = normal(gen);
  for (std::size_t i = 0; i < n; ++i) {
    double z = 0.3;
    for (std::size_t j = 0; j < 20; ++j) z += 0.5 * x[i * d + j];
    y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-z)) ? 1.0 : 0.0;
    w[i] = i % 7 == 3 ? 0.0 : 1.0;  // inactive rows: the product gathers the active ones
  }
  std::printf("[Gaussian design, n = %zu, p = %zu]\n", n, p);
  for (const double* weights : {static_cast<const double*>(nullptr), static_cast<const double*>(w.data())}) {
    glm::Problem pr;
    pr.design = {x.data(), n, d, true};
    pr.family = glm::Family::Logistic;
    pr.y = y.data();
    pr.weights = weights;
    pr.lambda = 1.0;
    glm::Objective objective(pr);
    std::vector<double> theta(p), v(p), hv(p), built;
    for (std::size_t k = 0; k < p; ++k) {
      theta[k] = 0.05 * normal(gen);
      v[k] = unif(gen) - 0.5;
    }
    objective.hessian(theta.data(), built);
    const auto op = objective.hessianOperator(theta.data());
    op->apply(v.data(), hv.data());
    std::vector<double> ref(p, 0.0), diag(p);
    for (std::size_t r = 0; r < p; ++r) {
      diag[r] = built[r + r * p];
      for (std::size_t c = 0; c < p; ++c) ref[r] += built[r + c * p] * v[c];
    }
    check(relDiff(hv, ref) < 1e-12,
          weights ? "blocked product over gathered rows equals the built Hessian"
                  : "blocked product equals the built Hessian",
          relDiff(hv, ref));
    check(relDiff(op->diagonal(), diag) < 1e-13, "diagonal equals the built Hessian's", relDiff(op->diagonal(), diag));

    glm::FitOptions opt;
    opt.keepHessian = false;
    const glm::FitResult fit = glm::fitNewton(objective, nullptr, opt);
    glm::FitOptions plainOpt = opt;
    plainOpt.krylovSteps = false;
    const glm::FitResult plain = glm::fitNewton(objective, nullptr, plainOpt);
    check(fit.jacobiSteps > 0, "the fit started with Jacobi-preconditioned steps", fit.jacobiSteps);
    check(fit.krylovIterations > 0 && fit.newtonIterations < plain.newtonIterations,
          "Newton-Krylov fit builds fewer Hessians than plain Newton", fit.newtonIterations);
    check(fit.stoppedBy == glm::StopReason::Tolerance && fit.gradientNorm <= opt.tol * fit.gradientScale,
          "Newton-Krylov fit reached the tolerance", fit.gradientNorm);
    check(relDiff(fit.theta, plain.theta) < 1e-10, "Newton-Krylov fit equals plain Newton",
          relDiff(fit.theta, plain.theta));
    std::vector<double> g(p, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double wi = weights ? weights[i] : 1.0;
      double z = fit.theta[d];
      for (std::size_t k = 0; k < d; ++k) z += x[i * d + k] * fit.theta[k];
      const double r = wi * (1.0 / (1.0 + std::exp(-z)) - y[i]);
      for (std::size_t k = 0; k < d; ++k) g[k] += r * x[i * d + k];
      g[d] += r;
    }
    double gn = 0.0;
    for (std::size_t k = 0; k < p; ++k) {
      if (k < d) g[k] += pr.lambda * fit.theta[k];
      gn += g[k] * g[k];
    }
    check(std::sqrt(gn) <= 1e-12 * fit.gradientScale, "plain-loop gradient at the fit is zero to rounding",
          std::sqrt(gn) / fit.gradientScale);
    if (weights) continue;
    // A half-subset with a preconditioner that costs a Hessian build: Jacobi-preconditioned
    // steps first, the preconditioner built only if they give up; the same optimum either way.
    glm::FitOptions withHessian;
    const glm::FitResult full = glm::fitNewton(objective, nullptr, withHessian);
    std::vector<double> fullFactor(full.hessian), fullCurvature = objective.curvatureWeights(full.theta.data());
    double fullRcond = 0.0;
    linalg::cholesky(fullFactor.data(), p, &fullRcond);
    const glm::FitOptions& noHessian = opt;
    std::vector<double> half(n, 1.0);
    std::vector<std::size_t> halfRows;
    std::vector<double> halfCoef;
    for (std::size_t i = 0; i < n; ++i)
      if ((i * 7919) % 13 < 6) {
        half[i] = 0.0;
        halfRows.push_back(i);
        halfCoef.push_back(-fullCurvature[i]);
      }
    glm::Problem subset = pr;
    subset.weights = half.data();
    int builds = 0;
    std::unique_ptr<influence::ReducedHessian> lazy;
    const double pd = static_cast<double>(p), k = static_cast<double>(halfRows.size());
    const glm::FitResult halfRefit = glm::refitChord(
        glm::Objective(subset), full.theta.data(),
        [&](double* b) {
          if (!lazy) {
            ++builds;
            lazy = std::make_unique<influence::ReducedHessian>(pr.design, full.hessian.data(), fullFactor.data(),
                                                               halfRows.data(), halfCoef.data(), halfRows.size(), 0.0);
          }
          lazy->apply(b);
        },
        noHessian, 4.0 * (k * pd * pd + pd * pd * pd / 3.0));  // priced high enough for p = 701
    const glm::FitResult halfFresh = glm::fitNewton(glm::Objective(subset), nullptr, noHessian);
    check(halfRefit.jacobiSteps > 0, "half-subset refit took Jacobi steps first", halfRefit.jacobiSteps);
    check(halfRefit.jacobiSteps < halfRefit.chordIterations || builds == 0,
          "the preconditioner was built only when the Jacobi steps gave up", builds);
    check(halfRefit.gradientNorm <= noHessian.tol * halfRefit.gradientScale, "half-subset refit reached the tolerance",
          halfRefit.gradientNorm);
    check(relDiff(halfRefit.theta, halfFresh.theta) < 1e-10, "half-subset refit equals a fresh weighted fit",
          relDiff(halfRefit.theta, halfFresh.theta));
  }
}

int main() {
  run(0.9, "dense X");
  run(0.08, "sparse X (row-wise nonzeros)");
  large();
  return failures == 0 ? 0 : 1;
}
