// Per-example loss l(z; y) of a GLM as a function of the margin z, with its first two
// derivatives in z. Everything model-specific lives here; the rest of the core only sees
// "loss, dl/dz, d2l/dz2".
#pragma once

namespace tdakit::glm {

enum class Family {
  Logistic = 0,             // log(1 + e^z) - y z
  Squared = 1,              // (z - y)^2 / 2
  LogisticLossSquared = 2,  // (l_logistic(z; y) - o)^2 / 2, o a per-example offset (Daunce-E)
};

struct Pointwise {
  double loss;            // l(z; y)
  double slope;           // dl/dz: the residual (p - y or z - y)
  double curvature;       // d2l/dz2 (p(1-p), 1, or a positive semidefinite Gauss-Newton bound)
  double exactCurvature;  // d2l/dz2 without the bound (may be negative for LogisticLossSquared)
};

// Stable for every finite z (no overflow in exp, no cancellation in p(1-p)). `offset` is
// used by LogisticLossSquared only.
Pointwise pointwise(Family family, double z, double y, double offset = 0.0);

// log(1 + e^z) without overflow.
double softplus(double z);
// 1 / (1 + e^-z) without overflow.
double sigmoid(double z);

}  // namespace tdakit::glm
