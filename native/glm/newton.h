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
};

struct FitResult {
  std::vector<double> theta;
  double objective = 0.0;
  double gradientNorm = 0.0;
  double gradientScale = 0.0;
  int newtonIterations = 0;
  int chordIterations = 0;
  // The Hessian at theta (p x p, column-major) when the last evaluation built it (Newton fits):
  // influence analysis then only factors it instead of rebuilding it. Empty otherwise.
  std::vector<double> hessian;
};

// Damped Newton (Cholesky solve, Armijo backtracking) from theta0 (null = zeros); in the
// quadratic phase, chord steps reuse the last factor while each gains 4x. Returns the exact
// Hessian at the optimum in FitResult::hessian.
// Throws NumericError on singular Hessians, separable data (lambda = 0) or no convergence.
FitResult fitNewton(const NewtonObjective& objective, const double* theta0, const FitOptions& options);

// Applies M^{-1} in place, M a fixed SPD approximation of the Hessian (p-vector).
using InverseApply = std::function<void(double*)>;

// Chord iterations theta <- theta - M^{-1} grad F(theta) from theta0. When M is the exact
// Hessian of the reduced problem at the old optimum, the first step is the Newton-step
// estimate and the rest converge linearly at a rate of order ||Delta||, each costing one
// gradient (O(n p)) instead of a Hessian build (O(n p^2)). Falls back to fitNewton when
// progress is slow.
FitResult refitChord(const NewtonObjective& objective, const double* theta0, const InverseApply& applyInverse,
                     const FitOptions& options);

}  // namespace tdakit::glm
