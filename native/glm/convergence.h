// The stopping tests shared by the Newton solvers (newton.cc, copy_newton.cc): the tolerance on
// the gradient norm, and the rounding floor of the computed gradient below which no step is
// measurable. One definition, so that a copy and a fresh fit stop at the same point.
#pragma once
#include <cfloat>
#include <cmath>
#include <vector>

#include "objective.h"

namespace tdakit::glm {

inline double norm2(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

inline bool converged(const Evaluation& e, double gn, double tol) {
  return gn <= tol * std::fmax(e.gradientScale, DBL_MIN);
}

// The rounding error of the computed gradient: each component sums terms whose magnitudes add
// up to at most gradientScale (error ~ eps * gradientScale), and the margins it is built from
// carry a relative error eps (error ~ eps * marginRounding). A gradient below this is zero as far
// as float64 can tell; kFloorUlps leaves room for the log-depth growth of blocked sums.
inline double roundingFloor(const Evaluation& e) {
  constexpr double kFloorUlps = 8.0;
  return kFloorUlps * DBL_EPSILON * (e.gradientScale + e.marginRounding);
}

// The rounding error of the computed objective value: a step that raises the value by less is
// not worse, and a directional slope smaller in magnitude is in the rounding regime.
inline double valueRounding(const Evaluation& e) { return 64.0 * DBL_EPSILON * (std::fabs(e.value) + 1.0); }

// Chord steps (an old factor's solve: one gradient each instead of a Hessian build) are kept
// while each shrinks the gradient norm by this factor.
constexpr double kChordGain = 0.25;

}  // namespace tdakit::glm
