#include "newton.h"

#include <cfloat>
#include <cmath>
#include <sstream>

#include "../common/error.h"
#include "../linalg/dense.h"

namespace tdakit::glm {

namespace {

double norm2(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

bool converged(const Evaluation& e, double gn, double tol) {
  return gn <= tol * std::fmax(e.gradientScale, DBL_MIN);
}

std::vector<double> newtonDirection(const NewtonObjective& obj, Evaluation& e) {
  const std::size_t p = obj.parameters();
  double rcond = 0.0;
  const bool ok = linalg::cholesky(e.hessian.data(), p, &rcond);
  if (!ok || rcond < linalg::singularRcond(p)) obj.diagnose(e, rcond);
  std::vector<double> dir(e.gradient);
  for (double& v : dir) v = -v;
  linalg::choleskySolve(e.hessian.data(), p, dir.data(), 1);
  return dir;
}

FitResult finish(std::vector<double> theta, const Evaluation& e, double gn) {
  FitResult r;
  r.theta = std::move(theta);
  r.objective = e.value;
  r.gradientNorm = gn;
  r.gradientScale = e.gradientScale;
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
  // Cholesky factor of the Hessian at the iterate of the last Newton step. Once Newton is in
  // its quadratic phase the Hessian hardly changes, so chord steps with this factor (one
  // gradient each, O(n p)) replace Hessian builds (O(n p^2)) while each gains kChordGain.
  std::vector<double> factor;
  constexpr double kChordGain = 0.25;
  constexpr double kFloor = 1e-10;
  bool chordOk = false;
  int newton = 0, chord = 0, stalls = 0;
  auto done = [&]() {
    FitResult r = finish(theta, e, gn);
    r.newtonIterations = newton;
    r.chordIterations = chord;
    if (options.keepHessian) obj.hessian(theta.data(), r.hessian);  // exact at the optimum
    return r;
  };
  for (int it = 0; it < options.maxIter; ++it) {
    if (converged(e, gn, options.tol)) return done();
    if (chordOk) {
      std::vector<double> trial(e.gradient);
      linalg::choleskySolve(factor.data(), p, trial.data(), 1);
      for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] - trial[k];
      Evaluation next;
      obj.evaluate(trial.data(), false, next);
      const double nextNorm = norm2(next.gradient);
      ++chord;
      const bool better = std::isfinite(nextNorm) && nextNorm < gn &&
                          next.value <= e.value + 64.0 * DBL_EPSILON * (std::fabs(e.value) + 1.0);
      if (better) {
        const bool fast = nextNorm <= kChordGain * gn;
        theta.swap(trial);
        e = std::move(next);
        gn = nextNorm;
        if (fast) continue;
        if (converged(e, gn, options.tol)) return done();
      } else if (gn <= kFloor * e.gradientScale) {
        return done();  // no step can improve a gradient that is zero up to rounding
      }
      chordOk = false;  // slow or failed: a fresh Newton step from here
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
    const bool roundingRegime = -slope <= 64.0 * DBL_EPSILON * (std::fabs(e.value) + 1.0);
    for (;;) {
      for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] + t * dir[k];
      if (roundingRegime) break;
      const double f = obj.value(trial.data());
      if (std::isfinite(f) && f <= e.value + 1e-4 * t * slope) break;
      t *= 0.5;
      if (t < 1e-12) {
        if (gn <= 1e-7 * e.gradientScale) return done();  // at the precision floor of this problem
        if (obj.separated(e)) obj.diagnose(e, 0.0);
        std::ostringstream msg;
        msg << "Newton line search failed at gradient norm " << gn << " (scale " << e.gradientScale << ")";
        throw NumericError(msg.str());
      }
    }
    theta.swap(trial);
    const double previous = gn;
    obj.evaluate(theta.data(), false, e);
    gn = norm2(e.gradient);
    if (!std::isfinite(gn)) throw NumericError("the Newton iteration diverged (non-finite gradient)");
    // Rounding floor reached before tol: two steps without progress at a tiny gradient.
    stalls = gn >= 0.5 * previous ? stalls + 1 : 0;
    if (stalls >= 2 && gn <= 1e-7 * e.gradientScale) return done();
    chordOk = t == 1.0 && gn <= kChordGain * previous;
  }
  if (obj.separated(e)) obj.diagnose(e, 0.0);
  std::ostringstream msg;
  msg << "Newton's method did not converge in " << options.maxIter << " iterations (gradient norm " << gn
      << ", scale " << e.gradientScale << "); raise maxIter or lambda";
  throw NumericError(msg.str());
}

FitResult refitChord(const NewtonObjective& obj, const double* theta0, const InverseApply& applyInverse,
                     const FitOptions& options) {
  const std::size_t p = obj.parameters();
  std::vector<double> theta(theta0, theta0 + p);
  Evaluation e;
  obj.evaluate(theta.data(), false, e);
  double gn = norm2(e.gradient);
  int chord = 0;
  // A chord step costs one gradient, a Newton step a Hessian build (~p times more): linear
  // convergence pays while each step at least halves the gradient.
  constexpr double kMinGain = 0.5;
  // Below this relative gradient a step that gains nothing means rounding has won.
  constexpr double kFloor = 1e-10;
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
    const bool improved = std::isfinite(next.value) && nextNorm < gn &&
                          next.value <= e.value + 64.0 * DBL_EPSILON * (std::fabs(e.value) + 1.0);
    if (improved) {
      theta.swap(trial);
      e = std::move(next);
      const bool slow = nextNorm > kMinGain * gn;
      gn = nextNorm;
      if (!slow) continue;
    }
    // No progress at a gradient that is already zero up to rounding: the precision floor.
    if (!improved && gn <= kFloor * e.gradientScale) break;
    // Slow or failed: finish with Newton from the best point so far.
    if (converged(e, gn, options.tol)) break;
    FitResult r = fitNewton(obj, theta.data(), options);
    r.chordIterations = chord;
    return r;
  }
  if (converged(e, gn, options.tol) || gn <= kFloor * e.gradientScale) {
    FitResult r = finish(theta, e, gn);
    r.chordIterations = chord;
    return r;
  }
  FitResult r = fitNewton(obj, theta.data(), options);
  r.chordIterations = chord;
  return r;
}

}  // namespace tdakit::glm
