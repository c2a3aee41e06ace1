// Newton-Krylov refits: Newton steps solved by preconditioned conjugate gradients on exact
// Hessian-vector products (O(n p) each), preconditioned by a fixed SPD approximation of the
// Hessian (the reference factor corrected for the changed examples). No Hessian is built.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "objective.h"

namespace tdakit::glm {

struct KrylovStep {
  std::vector<double> direction;  // approximate solution of H d = -g
  int iterations = 0;             // Hessian-vector products used
  double residual = 0.0;          // ||H d + g|| (recurrence)
  bool solved = false;            // residual reached the target within the budget
};

// Preconditioned CG for H d = -g from d = 0; stops at ||r|| <= target or after `budget` products.
KrylovStep conjugateGradients(const HessianOperator& h, const std::function<void(double*)>& applyInverse,
                              const std::vector<double>& gradient, double target, int budget);

// Flops of a Newton step (Hessian build over the active rows, m p^2, and its Cholesky, p^3 / 3).
double newtonStepFlops(std::size_t activeRows, std::size_t p);

// How many Jacobi-preconditioned products of h cost as much as savedFlops at BLAS-3 speed (the
// products are memory-bound; over the nonzeros when X is sparse).
int jacobiAllowance(double savedFlops, const HessianOperator& h, std::size_t p);

// How many Hessian-vector products cost as much as one Newton step (Hessian build over the active
// rows with BLAS-3, plus its Cholesky factorisation) on this problem: the CG budget per step.
int krylovBudget(std::size_t activeRows, std::size_t p);

}  // namespace tdakit::glm
