#include "family.h"

#include <cmath>

namespace tdakit::glm {

double softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

Pointwise pointwise(Family family, double z, double y, double offset) {
  if (family == Family::Logistic) {
    // softplus(z), sigmoid(z) and sigmoid(-z) from one exponential e = exp(-|z|), with the same
    // bits as the three functions above (each takes the exponential of minus the magnitude).
    const double e = std::exp(-std::fabs(z));
    const double big = 1.0 / (1.0 + e), small = e / (1.0 + e);  // sigmoid(|z|), sigmoid(-|z|)
    const double p = z >= 0 ? big : small;
    // p(1-p) as sigmoid(z) * sigmoid(-z): 1 - p would cancel for large z.
    const double s = p * (z >= 0 ? small : big);
    const double softplusZ = z > 0 ? z + std::log1p(e) : std::log1p(e);
    return {softplusZ - y * z, p - y, s, s};
  }
  if (family == Family::LogisticLossSquared) {
    const Pointwise l = pointwise(Family::Logistic, z, y);
    const double e = l.loss - offset;
    // h'' = l'^2 + e l''; the second term is dropped where negative so Newton's matrix stays
    // positive semidefinite (the gradient, and so the solution, are exact).
    const double gn = l.slope * l.slope;
    return {0.5 * e * e, e * l.slope, gn + std::fmax(0.0, e * l.curvature), gn + e * l.curvature};
  }
  const double r = z - y;
  return {0.5 * r * r, r, 1.0, 1.0};
}

}  // namespace tdakit::glm
