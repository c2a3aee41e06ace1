// Per-example quantities of a GLM over a whole design: margins, losses and their derivatives
// in the margin, and rows scaled by a per-example coefficient (the columns of per-example
// gradients). The loops the binding used to run live here.
#pragma once
#include <cstddef>
#include <vector>

#include "design.h"
#include "family.h"

namespace tdakit::glm {

struct ExampleTerms {
  std::vector<double> margin;                  // z = A theta (n)
  std::vector<double> loss, slope, curvature;  // empty when no labels were given
};

// Margins at theta and, when y is given, l(z_i; y_i) with dl/dz and d2l/dz2 (offset may be null).
ExampleTerms exampleTerms(const Design& a, Family family, const double* theta, const double* y, const double* offset);

// out (n x p, row-major): row i = coef_i a_i + offset (offset p values, may be null).
void scaledRows(const Design& a, const double* coef, const double* offset, double* out);

}  // namespace tdakit::glm
