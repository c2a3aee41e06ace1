#include "copy_newton.h"

#include <cfloat>
#include <cmath>
#include <vector>

#include "../linalg/blas.h"
#include "convergence.h"

namespace tdakit::glm {

namespace {

FitResult done(std::vector<double>& theta, const Evaluation& e, double gn, int newton, int chord, double tol) {
  FitResult r;
  r.theta = std::move(theta);
  r.objective = e.value;
  r.gradientNorm = gn;
  r.gradientScale = e.gradientScale;
  r.roundingFloor = roundingFloor(e);
  r.newtonIterations = newton;
  r.chordIterations = chord;
  if (!converged(e, gn, tol) && gn <= r.roundingFloor) r.stoppedBy = StopReason::RoundingFloor;
  return r;
}

}  // namespace

void factorSolve(const double* l, int p, double* b) {
  cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, p, l, p, b, 1);
  cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, p, l, p, b, 1);
}

FitResult fitCopyNewton(const NewtonObjective& obj, const double* theta0, const FitOptions& options,
                        const double* reference) {
  if (obj.boundedCurvature()) return fitNewton(obj, theta0, options);
  const std::size_t p = obj.parameters();
  const int P = static_cast<int>(p);
  std::vector<double> theta(theta0, theta0 + p), trial(p), dir(p), factor;
  Evaluation e, next;
  obj.evaluate(theta.data(), false, e);
  double gn = norm2(e.gradient);
  int newton = 0, chord = 0;
  // The general solver from here, its iterations added to ours.
  auto handOff = [&] {
    FitResult r = fitNewton(obj, theta.data(), options);
    r.newtonIterations += newton;
    r.chordIterations += chord;
    return r;
  };
  if (!std::isfinite(e.value) || !std::isfinite(gn) || !std::isfinite(e.gradientScale)) return handOff();
  if (reference) {
    // Steps -M^{-1} g with the batch's reference factor M (no Hessian build), line-searched on F,
    // while each at least halves the gradient: far from the copy's optimum Newton gains little
    // more per step, at a Hessian build each.
    for (int step = 0; step < options.maxIter; ++step) {
      if (converged(e, gn, options.tol)) return done(theta, e, gn, newton, chord, options.tol);
      dir = e.gradient;
      factorSolve(reference, P, dir.data());
      double slope = 0.0;
      for (std::size_t k = 0; k < p; ++k) {
        dir[k] = -dir[k];
        slope += e.gradient[k] * dir[k];
      }
      if (!(slope < 0.0)) break;
      double t = 1.0;
      bool found = false;
      for (; t >= 1.0 / 16; t *= 0.5) {
        for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] + t * dir[k];
        const double f = obj.value(trial.data());
        if (std::isfinite(f) && f <= e.value + 1e-4 * t * slope) {
          found = true;
          break;
        }
      }
      if (!found) break;
      obj.evaluate(trial.data(), false, next);
      const double nextNorm = norm2(next.gradient);
      if (!std::isfinite(next.value) || !std::isfinite(nextNorm)) break;
      ++chord;
      theta.swap(trial);
      std::swap(e, next);
      const bool slow = nextNorm > 0.5 * gn;
      gn = nextNorm;
      if (slow) break;
    }
  }
  bool chordOk = false;
  for (int it = 0; it < options.maxIter; ++it) {
    if (converged(e, gn, options.tol)) return done(theta, e, gn, newton, chord, options.tol);
    if (chordOk) {
      // theta - H_old^{-1} g: one gradient instead of a Hessian build, kept while it gains 4x.
      dir = e.gradient;
      factorSolve(factor.data(), P, dir.data());
      for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] - dir[k];
      obj.evaluate(trial.data(), false, next);
      const double nextNorm = norm2(next.gradient);
      ++chord;
      const bool better = std::isfinite(nextNorm) && nextNorm < gn && next.value <= e.value + valueRounding(e);
      if (better) {
        const bool fast = nextNorm <= kChordGain * gn;
        theta.swap(trial);
        std::swap(e, next);
        gn = nextNorm;
        if (fast) continue;
        if (converged(e, gn, options.tol)) return done(theta, e, gn, newton, chord, options.tol);
      } else if (gn <= roundingFloor(e)) {
        return done(theta, e, gn, newton, chord, options.tol);
      }
      chordOk = false;
    }
    obj.hessian(theta.data(), factor);
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', P, factor.data(), P) != 0) return handOff();
    ++newton;
    dir = e.gradient;
    factorSolve(factor.data(), P, dir.data());
    double slope = 0.0;
    for (std::size_t k = 0; k < p; ++k) {
      dir[k] = -dir[k];
      slope += e.gradient[k] * dir[k];
    }
    if (!(slope < 0.0)) return handOff();
    // Below the rounding of F no line search can judge the step: take it whole (fitNewton too).
    const bool roundingRegime = -slope <= valueRounding(e);
    double t = 1.0;
    for (;;) {
      for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] + t * dir[k];
      if (roundingRegime) break;
      const double f = obj.value(trial.data());
      if (std::isfinite(f) && f <= e.value + 1e-4 * t * slope) break;
      t *= 0.5;
      if (t < 1e-12) return handOff();
    }
    theta.swap(trial);
    const double previous = gn;
    obj.evaluate(theta.data(), false, e);
    gn = norm2(e.gradient);
    if (!std::isfinite(e.value) || !std::isfinite(gn)) return handOff();
    // A full step that did not halve a gradient at its rounding floor: float64 cannot do better.
    if (!converged(e, gn, options.tol) && gn <= roundingFloor(e) && gn >= 0.5 * previous)
      return done(theta, e, gn, newton, chord, options.tol);
    if (gn >= 0.5 * previous && gn <= 1e-7 * e.gradientScale) return handOff();  // stalled: diagnose there
    chordOk = t == 1.0 && gn <= kChordGain * previous;
  }
  return handOff();
}

}  // namespace tdakit::glm
