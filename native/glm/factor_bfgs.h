// Limited-memory BFGS seeded with a Cholesky factor (copy_newton.h): the inverse-Hessian
// approximation whose base is (L L^T)^{-1}, the exact Hessian's factor at the iterate of the last
// Newton step (or a batch's reference factor before the first), updated by the (s, y) pairs of
// the steps taken since. Between Hessian builds it
// corrects the old factor for the curvature met since, at O(m p) per step, where a chord step
// (the factor alone) converges only linearly (measured on Daunce's 1,000 x 180 copies: 2.1
// instead of 5.5 Hessian builds per copy, at more but cheaper gradient steps).
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

namespace tdakit::glm {

class FactorBfgs {
 public:
  // p parameters, at most `capacity` pairs (the oldest are dropped first).
  FactorBfgs(std::size_t p, std::size_t capacity);

  // A new factor: the pairs gathered with the old one no longer apply.
  void reset() { count_ = 0; }
  std::size_t pairs() const { return count_; }

  // Records the step s = theta_new - theta_old and the gradient change y = g_new - g_old.
  // Skipped unless s^T y > 0 (on a strictly convex objective it always is, up to rounding), so
  // that the approximation stays positive definite.
  void record(const double* s, const double* y);

  // b <- H^{-1} b by the two-loop recursion, with baseSolve(b): b <- (L L^T)^{-1} b in the
  // middle. With no pairs, the base solve alone.
  void apply(const std::function<void(double*)>& baseSolve, double* b);

 private:
  std::size_t p_, capacity_, count_ = 0, next_ = 0;  // next_: slot the next pair is written to
  std::vector<double> s_, y_, rho_, alpha_;          // capacity_ x p_ pairs, 1 / (s^T y) each
  std::size_t slot(std::size_t age) const;           // age 0: the oldest pair held
};

}  // namespace tdakit::glm
