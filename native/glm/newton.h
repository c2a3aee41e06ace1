// Minimisers of the GLM objective to machine precision.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "objective.h"

namespace tdakit::glm {

struct FitOptions {
  // Converged when ||grad F|| <= tol * gradientScale (see Evaluation): the gradient is zero
  // up to the rounding of the sum that forms it.
  double tol = 1e-14;
  int maxIter = 100;
  // Build the exact Hessian at the optimum for FitResult::hessian (one more Hessian build).
  bool keepHessian = true;
  // Newton-Krylov steps between Hessian builds (objectives with a Hessian operator). Off: plain
  // Newton and chord steps (a Hessian build per Newton step), the baseline benchmarks compare to.
  bool krylovSteps = true;
  // With krylovSteps: before the first Hessian build, Newton-Krylov steps preconditioned by
  // diag H while they cost less than half a Newton step (fitNewton).
  bool jacobiStart = true;
};

// Which test ended an iteration (FitResult::stoppedBy).
enum class StopReason {
  Tolerance = 0,      // ||grad F|| <= tol * gradientScale
  RoundingFloor = 1,  // no step improves a gradient that is zero up to its own rounding (roundingFloor)
  Stalled = 2,        // full Newton steps stopped reducing a gradient already below 1e-7 * gradientScale
};

struct FitResult {
  std::vector<double> theta;
  double objective = 0.0;
  double gradientNorm = 0.0;
  double gradientScale = 0.0;
  int newtonIterations = 0;
  int chordIterations = 0;
  // Hessian-vector products of Newton-Krylov refits (conjugate-gradient iterations).
  int krylovIterations = 0;
  // Of chordIterations: the Newton-Krylov steps preconditioned by diag H before the first
  // Hessian build (FitOptions::jacobiStart).
  int jacobiSteps = 0;
  StopReason stoppedBy = StopReason::Tolerance;
  // The rounding error of the computed gradient at theta (order eps * (gradientScale + margin
  // rounding)): below it, a smaller ||grad F|| is not measurable.
  double roundingFloor = 0.0;
  // The Hessian at theta (p x p, column-major) when the last evaluation built it (Newton fits):
  // influence analysis then only factors it instead of rebuilding it. Empty otherwise.
  std::vector<double> hessian;
};

// Damped Newton (Cholesky solve, Armijo backtracking) from theta0 (null = zeros). Between
// Hessian builds, objectives with a Hessian operator take Newton-Krylov steps preconditioned by
// the last factor (counted in chordIterations, their products in krylovIterations) while CG costs
// less than a Newton step; others take chord steps with that factor while each gains 4x. Returns
// the exact Hessian at the optimum in FitResult::hessian when options.keepHessian.
// Throws NumericError on singular Hessians, separable data (lambda = 0) or no convergence.
FitResult fitNewton(const NewtonObjective& objective, const double* theta0, const FitOptions& options);

// Applies M^{-1} in place, M a fixed SPD approximation of the Hessian (p-vector).
using InverseApply = std::function<void(double*)>;

// Refit from theta0 with M (the exact Hessian of the reduced problem at the old optimum) as a
// preconditioner. Newton-Krylov: each step solves H d = -g by conjugate gradients on exact
// Hessian-vector products preconditioned by M^{-1}, so it costs a few O(n p) products instead of
// a Hessian build (O(n p^2)); the first CG iterate is the Newton-step estimate. When the
// objective has no Hessian operator, chord steps theta <- theta - M^{-1} g. Falls back to
// fitNewton (counted in newtonIterations) when CG needs more products than a Newton step costs
// (krylovBudget) or makes no progress. preconditionerFlops > 0: M costs that many flops to build
// on its first use (applyInverse builds it then); Newton-Krylov steps preconditioned by diag H
// come first while their products cost less than half of that (FitResult::jacobiSteps).
FitResult refitChord(const NewtonObjective& objective, const double* theta0, const InverseApply& applyInverse,
                     const FitOptions& options, double preconditionerFlops = 0.0);

}  // namespace tdakit::glm
