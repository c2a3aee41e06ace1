#include "family.h"

#include <cmath>

namespace tdakit::glm {

double softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

Pointwise pointwise(Family family, double z, double y) {
  if (family == Family::Logistic) {
    const double p = sigmoid(z);
    // p(1-p) as sigmoid(z) * sigmoid(-z): 1 - p would cancel for large z.
    return {softplus(z) - y * z, p - y, p * sigmoid(-z)};
  }
  const double r = z - y;
  return {0.5 * r * r, r, 1.0};
}

}  // namespace tdakit::glm
