#include "newton.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <sstream>

#include "../common/error.h"
#include "../linalg/dense.h"
#include "convergence.h"
#include "krylov.h"

namespace tdakit::glm {

namespace {

// Non-finite arithmetic is never convergence: Inf <= tol * Inf would otherwise accept it.
void requireFinite(const Evaluation& e, double gn, bool atStart) {
  if (std::isfinite(e.value) && std::isfinite(gn) && std::isfinite(e.gradientScale)) return;
  std::ostringstream msg;
  msg << "the objective is not finite in float64 (value " << e.value << ", gradient norm " << gn << ", gradient scale "
      << e.gradientScale << ")";
  if (atStart)
    msg << " at the starting point: X, y, the weights, lambda or the start are too large for float64 arithmetic; "
           "rescale them";
  else
    msg << ": the Newton iteration diverged";
  throw NumericError(msg.str());
}

// A Hessian whose diagonal spans more than float64 can resolve (lambda = 1e300 against the
// data's curvature, or features on wildly different scales) is not "singular": say why.
[[noreturn]] void badlyScaled(double smallest, double largest, double rcond) {
  std::ostringstream msg;
  msg << "the Hessian is too badly scaled for float64 (its diagonal spans " << smallest << " to " << largest
      << ", reciprocal condition number " << rcond
      << "): lambda is out of proportion to the data's curvature, or the features are on very different scales; "
         "use a lambda comparable to the data (sum of example weights) or standardise the features";
  throw NumericError(msg.str());
}

std::vector<double> newtonDirection(const NewtonObjective& obj, Evaluation& e) {
  const std::size_t p = obj.parameters();
  double smallest = INFINITY, largest = 0.0;
  for (std::size_t k = 0; k < p; ++k) {
    smallest = std::fmin(smallest, e.hessian[k + k * p]);
    largest = std::fmax(largest, e.hessian[k + k * p]);
  }
  double rcond = 0.0;
  const bool ok = linalg::cholesky(e.hessian.data(), p, &rcond);
  if (!ok || rcond < linalg::singularRcond(p)) {
    if (smallest > 0.0 && smallest < largest * linalg::singularRcond(p) && !obj.separated(e))
      badlyScaled(smallest, largest, rcond);
    obj.diagnose(e, rcond);
  }
  std::vector<double> dir(e.gradient);
  for (double& v : dir) v = -v;
  linalg::choleskySolve(e.hessian.data(), p, dir.data(), 1);
  return dir;
}

// How newtonKrylov preconditions its CG solves and when it gives way to a Newton step.
struct KrylovPolicy {
  // Largest forcing term (the relative residual a CG solve stops at).
  double maxForcing = 1e-2;
  // Either > 0: Jacobi preconditioning (diag H at each step, O(n p) to form), its products
  // allowed to cost, at BLAS-3 speed, jacobiFlops plus jacobiNewtonShare Newton steps in all (what
  // they would save); both 0: the given InverseApply.
  double jacobiFlops = 0.0;
  double jacobiNewtonShare = 0.0;
  // Jacobi allowances below this many products are not tried (small p: a Newton step costs only
  // a few products).
  int minJacobiProducts = 8;
};

bool newtonKrylov(const NewtonObjective& obj, std::vector<double>& theta, Evaluation& e, double& gn,
                  const InverseApply& applyInverse, const FitOptions& options, FitResult& stats,
                  const KrylovPolicy& policy);

FitResult finish(std::vector<double> theta, const Evaluation& e, double gn) {
  FitResult r;
  r.theta = std::move(theta);
  r.objective = e.value;
  r.gradientNorm = gn;
  r.gradientScale = e.gradientScale;
  r.roundingFloor = roundingFloor(e);
  return r;
}

}  // namespace

FitResult fitNewton(const NewtonObjective& obj, const double* theta0, const FitOptions& options) {
  const std::size_t p = obj.parameters();
  std::vector<double> theta(p, 0.0);
  if (theta0) theta.assign(theta0, theta0 + p);
  Evaluation e;
  obj.evaluate(theta.data(), false, e);
  double gn = norm2(e.gradient);
  requireFinite(e, gn, true);
  // Cholesky factor of the Hessian at the iterate of the last Newton step. Once Newton is in
  // its quadratic phase the Hessian hardly changes, so chord steps with this factor (one
  // gradient each, O(n p)) replace Hessian builds (O(n p^2)) while each gains kChordGain.
  std::vector<double> factor;
  bool chordOk = false;
  int newton = 0, chord = 0, stalls = 0;
  // Newton-Krylov steps preconditioned by the last factor (objectives with a Hessian operator):
  // a few O(n p) Hessian-vector products instead of the next Hessian builds (O(n p^2)). Tried
  // after every Newton step until one attempt falls back, then only in the quadratic phase.
  const bool krylov = options.krylovSteps && !obj.boundedCurvature() && obj.hasHessianOperator();
  bool krylovEarly = krylov;
  FitResult krylovStats;
  // Steps solved to a loose relative residual far from the optimum (Eisenstat-Walker up to 0.1):
  // a tighter solve there buys little, since the next Hessian differs anyway.
  KrylovPolicy policy;
  policy.maxForcing = 0.1;
  auto done = [&](StopReason why = StopReason::Tolerance) {
    FitResult r = finish(theta, e, gn);
    r.newtonIterations = newton;
    r.chordIterations = chord + krylovStats.chordIterations;
    r.krylovIterations = krylovStats.krylovIterations;
    r.jacobiSteps = krylovStats.jacobiSteps;
    r.stoppedBy = why;
    if (options.keepHessian) obj.hessian(theta.data(), r.hessian);  // exact at the optimum
    return r;
  };
  // Before the first Hessian build: Newton-Krylov steps preconditioned by diag H, while their
  // products cost less than half a Newton step in all. Well-conditioned problems then build
  // their first Hessian near the optimum, where it preconditions the last steps well (the
  // harness's Gaussian design, n = 10,000, p = 2,049: 5 such steps, one Hessian, 3 more steps,
  // 34-38 products in all; a Hessian at theta = 0 preconditioning every step took 70-84).
  // Badly conditioned ones give up after that half step's worth of products and build the
  // Hessian where they stand. Not for small p, where a Newton step costs only a few products,
  // nor for least squares, which one Newton step solves.
  if (krylov && options.jacobiStart && !obj.constantHessian()) {
    KrylovPolicy jacobi = policy;
    jacobi.jacobiNewtonShare = 0.5;
    if (newtonKrylov(obj, theta, e, gn, nullptr, options, krylovStats, jacobi)) return done(krylovStats.stoppedBy);
  }
  for (int it = 0; it < options.maxIter; ++it) {
    if (converged(e, gn, options.tol)) return done();
    if (krylov && !factor.empty() && (chordOk || krylovEarly)) {
      const InverseApply applyFactor = [&](double* v) { linalg::choleskySolveVector(factor.data(), p, v); };
      krylovStats.stoppedBy = StopReason::Tolerance;
      if (newtonKrylov(obj, theta, e, gn, applyFactor, options, krylovStats, policy))
        return done(krylovStats.stoppedBy);
      // Krylov would cost more than a Newton step from here: a fresh factor.
      krylovEarly = false;
      chordOk = false;
    }
    if (chordOk) {
      std::vector<double> trial(e.gradient);
      linalg::choleskySolveVector(factor.data(), p, trial.data());
      for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] - trial[k];
      Evaluation next;
      obj.evaluate(trial.data(), false, next);
      const double nextNorm = norm2(next.gradient);
      ++chord;
      const bool better = std::isfinite(nextNorm) && nextNorm < gn && next.value <= e.value + valueRounding(e);
      if (better) {
        const bool fast = nextNorm <= kChordGain * gn;
        theta.swap(trial);
        e = std::move(next);
        gn = nextNorm;
        if (fast) continue;
        if (converged(e, gn, options.tol)) return done();
      } else if (gn <= roundingFloor(e)) {
        return done(StopReason::RoundingFloor);  // no step can improve a gradient that is zero up to rounding
      }
      // Slow or failed above the rounding floor: the chord's factor is too old, so a fresh
      // Newton step from here (never "no improvement" taken as convergence).
      chordOk = false;
    }
    e.hessian.clear();
    std::vector<double> dir;
    if (obj.boundedCurvature()) {
      // A non-convex family: the exact Hessian where it is positive definite (quadratic
      // convergence near a strict minimum), the positive semidefinite bound elsewhere.
      obj.hessian(theta.data(), e.hessian, true);
      double rcond = 0.0;
      std::vector<double> l(e.hessian);
      if (linalg::cholesky(l.data(), p, &rcond) && rcond >= linalg::singularRcond(p)) {
        dir = e.gradient;
        for (double& v : dir) v = -v;
        linalg::choleskySolve(l.data(), p, dir.data(), 1);
        e.hessian.swap(l);
      } else {
        e.hessian.clear();
      }
    }
    if (dir.empty()) {
      obj.hessian(theta.data(), e.hessian);
      dir = newtonDirection(obj, e);
    }
    factor.swap(e.hessian);  // newtonDirection factored it in place
    ++newton;
    double slope = 0.0;
    for (std::size_t k = 0; k < p; ++k) slope += e.gradient[k] * dir[k];
    std::vector<double> trial(p);
    double t = 1.0;
    // Once the predicted decrease is below the rounding of F, no line search can judge the
    // step: take the full Newton step (we are in the quadratic region).
    const bool roundingRegime = -slope <= valueRounding(e);
    Evaluation full;  // at the full step, evaluated outright (one pass over X for F and its gradient)
    for (;;) {
      for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] + t * dir[k];
      if (roundingRegime) break;
      const double f = t == 1.0 ? (obj.evaluate(trial.data(), false, full), full.value) : obj.value(trial.data());
      if (std::isfinite(f) && f <= e.value + 1e-4 * t * slope) break;
      t *= 0.5;
      if (t < 1e-12) {
        if (gn <= 1e-7 * e.gradientScale)
          return done(gn <= roundingFloor(e) ? StopReason::RoundingFloor
                                             : StopReason::Stalled);  // the line search cannot resolve F
        if (obj.separated(e)) obj.diagnose(e, 0.0);
        std::ostringstream msg;
        msg << "Newton line search failed at gradient norm " << gn << " (scale " << e.gradientScale << ")";
        throw NumericError(msg.str());
      }
    }
    theta.swap(trial);
    const double previous = gn;
    if (roundingRegime || t != 1.0)
      obj.evaluate(theta.data(), false, e);
    else
      e = std::move(full);
    gn = norm2(e.gradient);
    requireFinite(e, gn, false);
    // A full Newton step that did not halve a gradient already at its rounding floor: float64
    // cannot do better. (Progress below the floor continues: separable data with lambda = 0 drive
    // the gradient and its floor to zero together, and must reach the separation diagnosis.)
    if (!converged(e, gn, options.tol) && gn <= roundingFloor(e) && gn >= 0.5 * previous)
      return done(StopReason::RoundingFloor);
    // Two full Newton steps without progress at a tiny gradient: the Hessian solve itself has
    // reached its rounding (an ill-conditioned Hessian), reported as such.
    stalls = gn >= 0.5 * previous ? stalls + 1 : 0;
    if (stalls >= 2 && gn <= 1e-7 * e.gradientScale) return done(StopReason::Stalled);
    chordOk = t == 1.0 && gn <= kChordGain * previous;
  }
  if (obj.separated(e)) obj.diagnose(e, 0.0);
  std::ostringstream msg;
  msg << "Newton's method did not converge in " << options.maxIter << " iterations (gradient norm " << gn << ", scale "
      << e.gradientScale << "); raise maxIter or lambda";
  throw NumericError(msg.str());
}

namespace {

// Newton-Krylov from theta; returns false (theta, e at the best point so far) when a full Newton
// step would be cheaper or CG stops making progress.
bool newtonKrylov(const NewtonObjective& obj, std::vector<double>& theta, Evaluation& e, double& gn,
                  const InverseApply& applyInverse, const FitOptions& options, FitResult& stats,
                  const KrylovPolicy& policy) {
  const std::size_t p = obj.parameters();
  const bool jacobi = policy.jacobiFlops > 0.0 || policy.jacobiNewtonShare > 0.0;
  int allowance = -1;  // products left to the Jacobi phase
  // Inexact Newton: each CG solve cuts the residual by `forcing`, or to a quarter of the
  // tolerance (a finer solve would not be measurable in the next gradient).
  // The forcing term follows the last step's gain (Eisenstat-Walker, choice 2): loose solves
  // far from the optimum where Newton gains little anyway, tight ones in the quadratic phase.
  double forcing = policy.maxForcing, previous = gn;
  for (int outer = 0; outer < options.maxIter; ++outer) {
    if (converged(e, gn, options.tol)) return true;
    if (outer > 0) forcing = std::clamp(0.9 * (gn / previous) * (gn / previous), 1e-10, policy.maxForcing);
    previous = gn;
    std::unique_ptr<HessianOperator> h = obj.hessianOperator(theta.data(), &e);
    if (!h) return false;
    int budget = krylovBudget(h->activeRows(), p);
    std::vector<double> diagonal;
    InverseApply precondition = applyInverse;
    if (jacobi) {
      if (allowance < 0) {
        const double saved = policy.jacobiFlops + policy.jacobiNewtonShare * newtonStepFlops(h->activeRows(), p);
        allowance = jacobiAllowance(saved, *h, p);
        if (allowance < policy.minJacobiProducts) return false;
      }
      budget = allowance;
      if (budget <= 0) return false;
      diagonal = h->diagonal();
      // A zero (or non-finite) diagonal entry is a direction without curvature (lambda = 0 and a
      // constant-zero feature): the Newton step's factorisation diagnoses it.
      if (diagonal.empty() ||
          !std::all_of(diagonal.begin(), diagonal.end(), [](double v) { return v > 0.0 && std::isfinite(v); }))
        return false;
      precondition = [&diagonal](double* v) {
        for (std::size_t k = 0; k < diagonal.size(); ++k) v[k] /= diagonal[k];
      };
    }
    const double target = std::fmax(forcing * gn, 0.25 * options.tol * e.gradientScale);
    KrylovStep step = conjugateGradients(*h, precondition, e.gradient, target, budget);
    stats.krylovIterations += step.iterations;
    if (jacobi) allowance -= step.iterations;
    // Unsolved within the cost of a Newton step and not even a 10x residual cut: Newton is cheaper.
    if (!step.solved && !(step.residual <= 0.1 * gn)) return false;
    double slope = 0.0;
    for (std::size_t k = 0; k < p; ++k) slope += e.gradient[k] * step.direction[k];
    if (!(slope < 0.0)) return false;
    const bool roundingRegime = -slope <= valueRounding(e);
    std::vector<double> trial(p);
    Evaluation next;
    double t = 1.0;
    for (;;) {
      for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] + t * step.direction[k];
      if (roundingRegime) break;
      // The full step is evaluated outright (value and gradient in one pass over X); shorter
      // ones by value only.
      const double f = t == 1.0 ? (obj.evaluate(trial.data(), false, next), next.value) : obj.value(trial.data());
      if (std::isfinite(f) && f <= e.value + 1e-4 * t * slope) break;
      t *= 0.5;
      if (t < 1e-8) return false;  // no descent along this direction: Newton's own line search
    }
    if (roundingRegime || t != 1.0) obj.evaluate(trial.data(), false, next);
    const double nextNorm = norm2(next.gradient);
    requireFinite(next, nextNorm, false);
    // Far from the optimum the line search judges by F (the gradient may grow on the way); in
    // the rounding regime only the gradient can tell progress.
    if (roundingRegime && !(nextNorm < gn)) {
      if (gn <= roundingFloor(e)) {
        stats.stoppedBy = StopReason::RoundingFloor;
        return true;
      }
      return false;
    }
    theta.swap(trial);
    e = std::move(next);
    gn = nextNorm;
    ++stats.chordIterations;  // one preconditioned step (its CG products in krylovIterations)
    if (jacobi) ++stats.jacobiSteps;
  }
  return converged(e, gn, options.tol);
}

}  // namespace

// Chord steps theta <- theta - M^{-1} g (objectives without a Hessian operator), below.
FitResult refitChordSteps(const NewtonObjective& obj, std::vector<double> theta, Evaluation e, double gn,
                          const InverseApply& applyInverse, const FitOptions& options);

FitResult refitChord(const NewtonObjective& obj, const double* theta0, const InverseApply& applyInverse,
                     const FitOptions& options, double preconditionerFlops) {
  const std::size_t p = obj.parameters();
  std::vector<double> theta(theta0, theta0 + p);
  Evaluation e;
  obj.evaluate(theta.data(), false, e);
  double gn = norm2(e.gradient);
  requireFinite(e, gn, true);
  FitResult stats;
  if (obj.hasHessianOperator()) {
    // The result of a Newton-Krylov run that met the tolerance, with its step counts.
    auto solved = [&] {
      FitResult r = finish(theta, e, gn);
      r.chordIterations = stats.chordIterations;
      r.krylovIterations = stats.krylovIterations;
      r.jacobiSteps = stats.jacobiSteps;
      r.stoppedBy = stats.stoppedBy;
      return r;
    };
    // A preconditioner that costs a Hessian build (a half-subset's corrected factor): first
    // Jacobi-preconditioned steps, while they cost less than half of it. On sparse X their
    // products cost O(nnz) against its dense O(k p^2) (spam, 6,046 x 2,000, a half-subset: 12
    // steps, 451 products, no factor, 3x faster than the factor's 11 steps and 162 products);
    // where they fail, the caller builds it on first use, from where they stopped.
    if (preconditionerFlops > 0.0) {
      KrylovPolicy jacobi;
      jacobi.maxForcing = 0.1;  // far from the new optimum, as a fit from scratch
      jacobi.jacobiFlops = 0.5 * preconditionerFlops;
      if (newtonKrylov(obj, theta, e, gn, nullptr, options, stats, jacobi)) {
        return solved();
      }
      stats.stoppedBy = StopReason::Tolerance;
    }
    if (newtonKrylov(obj, theta, e, gn, applyInverse, options, stats, KrylovPolicy{})) {
      return solved();
    }
    FitOptions newton = options;
    newton.jacobiStart = false;  // the reference factor's problem: no cheaper preconditioner to try
    FitResult r = fitNewton(obj, theta.data(), newton);
    r.chordIterations += stats.chordIterations;
    r.krylovIterations += stats.krylovIterations;
    r.jacobiSteps += stats.jacobiSteps;
    return r;
  }
  return refitChordSteps(obj, theta, e, gn, applyInverse, options);
}

FitResult refitChordSteps(const NewtonObjective& obj, std::vector<double> theta, Evaluation e, double gn,
                          const InverseApply& applyInverse, const FitOptions& options) {
  const std::size_t p = obj.parameters();
  int chord = 0;
  // A chord step costs one gradient, a Newton step a Hessian build (~p times more): linear
  // convergence pays while each step at least halves the gradient.
  constexpr double kMinGain = 0.5;
  while (chord < options.maxIter) {
    if (converged(e, gn, options.tol)) {
      FitResult r = finish(theta, e, gn);
      r.chordIterations = chord;
      return r;
    }
    std::vector<double> step(e.gradient);
    applyInverse(step.data());
    std::vector<double> trial(p);
    for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] - step[k];
    Evaluation next;
    obj.evaluate(trial.data(), false, next);
    const double nextNorm = norm2(next.gradient);
    ++chord;
    const bool improved = std::isfinite(next.value) && nextNorm < gn && next.value <= e.value + valueRounding(e);
    if (improved) {
      theta.swap(trial);
      e = std::move(next);
      const bool slow = nextNorm > kMinGain * gn;
      gn = nextNorm;
      if (!slow) continue;
    }
    // No progress at a gradient that is already zero up to rounding: the precision floor.
    if (!improved && gn <= roundingFloor(e)) break;
    // Slow or failed: finish with Newton from the best point so far.
    if (converged(e, gn, options.tol)) break;
    FitResult r = fitNewton(obj, theta.data(), options);
    r.chordIterations = chord;
    return r;
  }
  if (converged(e, gn, options.tol) || gn <= roundingFloor(e)) {
    FitResult r = finish(theta, e, gn);
    r.chordIterations = chord;
    if (!converged(e, gn, options.tol)) r.stoppedBy = StopReason::RoundingFloor;
    return r;
  }
  FitResult r = fitNewton(obj, theta.data(), options);
  r.chordIterations = chord;
  return r;
}

}  // namespace tdakit::glm
