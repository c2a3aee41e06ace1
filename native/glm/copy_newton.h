// Damped Newton for one Daunce copy (a small dense problem warm-started from theta_0), without the
// general solver's per-step overheads: the copy runs on one thread with single-threaded BLAS
// (copy_pool.h), so LAPACK's dpotrf is deterministic there and replaces the fixed-order Cholesky,
// the condition estimate is skipped (dpotrf's pivot test and the fallback below catch a
// singular Hessian), solves are two dtrsv, and between Hessian builds the steps use the last
// factor corrected by L-BFGS pairs (factor_bfgs.h) while they keep halving the gradient. Anything out of the ordinary
// (a Hessian that is not positive definite, a failed line search, a stall) hands the current iterate to fitNewton,
// which diagnoses it.
#pragma once
#include <functional>
#include <vector>

#include "newton.h"
#include "objective.h"

namespace tdakit::glm {

// Minimises `objective` from theta0 to ||grad|| <= tol * gradientScale (FitOptions::tol) or to
// the gradient's rounding floor. Objectives with bounded curvature go to fitNewton directly.
// `reference` (a lower Cholesky factor, p x p, or null): first take line-searched steps
// -M^{-1} grad with it while each halves the gradient. Far from the copy's optimum Newton gains
// only 2-4x per Hessian build, and a step with the batch's shared reference factor costs a
// gradient (measured on 1,000 x 180 copies at ratio 0.3: 4.4 instead of 5.6 Hessian builds).
//
// `floatFactor` (or null): builds the float32 Cholesky factor of the Hessian at theta (e: its
// evaluation there) and returns true, or returns false for the float64 build. Its factor serves
// the Newton step and the quasi-Newton steps after it: only their directions, never the
// gradients or the stopping test, so the copy reaches the same tolerance. Should a Newton step
// from a float32 factor stall near the optimum, the copy builds float64 factors from there.
using FloatFactorBuilder = std::function<bool(const double* theta, const Evaluation& e, std::vector<float>& factor)>;
FitResult fitCopyNewton(const NewtonObjective& objective, const double* theta0, const FitOptions& options,
                        const double* reference = nullptr, const FloatFactorBuilder* floatFactor = nullptr);

// b <- (L L^T)^{-1} b for a lower Cholesky factor L (p x p, column-major): two dtrsv, without
// LAPACKE_dpotrs's NaN scan of the whole factor on every call.
void factorSolve(const double* l, int p, double* b);

}  // namespace tdakit::glm
