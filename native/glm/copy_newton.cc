#include "copy_newton.h"

#include <cfloat>
#include <cmath>
#include <functional>
#include <vector>

#include "../linalg/blas.h"
#include "convergence.h"
#include "factor_bfgs.h"
#include "float_rows.h"

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

// Quasi-Newton steps (below) are kept until this many in a row fail to shrink the gradient
// norm by kQuasiGain; then a Hessian build. Measured on 1,000 x 180 copies at ratio 0.3 (a build
// costs about seven gradient steps there): 2.1 Hessian builds and 24 steps per copy, against 5.5
// builds and 11 chord steps before; one or two slow steps in a row: more builds (4.2, 2.4), a
// gain of 0.7: more steps (39), slower either way.
constexpr double kQuasiGain = 0.5;
constexpr int kSlowSteps = 3;
// Pairs kept by the L-BFGS correction: more than the steps taken between two builds.
constexpr std::size_t kBfgsPairs = 16;

// dir = -solve(gradient); returns gradient . dir (negative for a descent direction).
double descentDirection(const std::function<void(double*)>& solve, const std::vector<double>& gradient,
                        std::vector<double>& dir) {
  dir = gradient;
  solve(dir.data());
  double slope = 0.0;
  for (std::size_t k = 0; k < dir.size(); ++k) {
    dir[k] = -dir[k];
    slope += gradient[k] * dir[k];
  }
  return slope;
}

// theta + t dir for the first t of 1, 1/2, 1/4, 1/8 that satisfies Armijo on F (the full step is
// evaluated outright, value and gradient in one pass; shorter ones by value first); below the
// rounding of F, the full step if it shrinks the gradient. On success `trial` and `next` hold the
// new iterate and its evaluation.
bool quasiNewtonStep(const NewtonObjective& obj, const std::vector<double>& theta, const Evaluation& e, double gn,
                     const std::vector<double>& dir, double slope, std::vector<double>& trial, Evaluation& next) {
  const std::size_t p = theta.size();
  const bool roundingRegime = -slope <= valueRounding(e);
  for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] + dir[k];
  obj.evaluate(trial.data(), false, next);
  const double nextNorm = norm2(next.gradient);
  if (std::isfinite(next.value) && std::isfinite(nextNorm)) {
    if (roundingRegime) return nextNorm < gn;
    if (next.value <= e.value + 1e-4 * slope) return true;
  }
  if (roundingRegime) return false;
  for (double t = 0.5; t >= 0.125; t *= 0.5) {
    for (std::size_t k = 0; k < p; ++k) trial[k] = theta[k] + t * dir[k];
    const double f = obj.value(trial.data());
    if (std::isfinite(f) && f <= e.value + 1e-4 * t * slope) {
      obj.evaluate(trial.data(), false, next);
      return std::isfinite(next.value) && std::isfinite(norm2(next.gradient));
    }
  }
  return false;
}

}  // namespace

void factorSolve(const double* l, int p, double* b) {
  cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, p, l, p, b, 1);
  cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, p, l, p, b, 1);
}

FitResult fitCopyNewton(const NewtonObjective& obj, const double* theta0, const FitOptions& options,
                        const double* reference, const FloatFactorBuilder* floatFactor) {
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
  // Quasi-Newton steps, one gradient each: the factor `base` corrected by the pairs gathered
  // since it was formed (factor_bfgs.h), kept until kSlowSteps in a row fail to halve the
  // gradient. `base` is the batch's reference factor at first (no Hessian build: far from the
  // copy's optimum Newton gains only 2-4x per build), then the last Newton step's factor.
  FactorBfgs bfgs(p, kBfgsPairs);
  std::vector<double> s(p), y(p);
  std::vector<float> factor32, scratch32;
  bool singleOk = floatFactor != nullptr;  // float32 factors while they serve (see the header)
  std::function<void(double*)> base;
  if (reference) base = [reference, P](double* b) { factorSolve(reference, P, b); };
  bool quasiOk = reference != nullptr;
  int slowSteps = 0;
  for (int it = 0; it < options.maxIter; ++it) {
    if (converged(e, gn, options.tol)) return done(theta, e, gn, newton, chord, options.tol);
    if (quasiOk) {
      const double slope = descentDirection([&](double* b) { bfgs.apply(base, b); }, e.gradient, dir);
      bool accepted = false;
      if (slope < 0.0) {
        ++chord;
        accepted = quasiNewtonStep(obj, theta, e, gn, dir, slope, trial, next);
      }
      if (accepted) {
        for (std::size_t k = 0; k < p; ++k) {
          s[k] = trial[k] - theta[k];
          y[k] = next.gradient[k] - e.gradient[k];
        }
        bfgs.record(s.data(), y.data());
        const double nextNorm = norm2(next.gradient);
        slowSteps = nextNorm <= kQuasiGain * gn ? 0 : slowSteps + 1;
        theta.swap(trial);
        std::swap(e, next);
        gn = nextNorm;
        if (slowSteps < kSlowSteps) continue;
        if (converged(e, gn, options.tol)) return done(theta, e, gn, newton, chord, options.tol);
      } else if (gn <= roundingFloor(e)) {
        return done(theta, e, gn, newton, chord, options.tol);
      }
      quasiOk = false;
    }
    const bool single = singleOk && (*floatFactor)(theta.data(), e, factor32);
    if (single) {
      base = [&factor32, &scratch32, p](double* b) { floatFactorSolve(factor32, p, b, scratch32); };
    } else {
      obj.hessian(theta.data(), factor);
      if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', P, factor.data(), P) != 0) return handOff();
      base = [&factor, P](double* b) { factorSolve(factor.data(), P, b); };
    }
    ++newton;
    const double slope = descentDirection(base, e.gradient, dir);
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
    if (gn >= 0.5 * previous && gn <= 1e-7 * e.gradientScale) {  // stalled near the optimum
      if (!single) return handOff();                             // float64: diagnose there
      singleOk = false;                                          // float32: float64 factors from here
    }
    quasiOk = true;
    slowSteps = 0;
    bfgs.reset();
  }
  return handOff();
}

}  // namespace tdakit::glm
